/**
 * The service in memory: the same routes and interceptors as the HTTP server
 * (src/server/routes.ts) over Connect's `createRouterTransport`, with a
 * FakeDesktop behind the real session host. No socket, no X server: specs of
 * the API layer run in milliseconds, on a clock they may drive.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { DesktopService } from "../../gen/desktop/v1/desktop_pb.js";
import type { DesktopClient } from "../../src/client/client.js";
import type { Size } from "../../src/desktop/geometry.js";
import type { InputOrderOptions } from "../../src/desktop/input-order.js";
import type { ChangeSource } from "../../src/desktop/screen-changes.js";
import type { SessionHost } from "../../src/desktop/session-host.js";
import type { Clock } from "../../src/os/clock.js";
import { Recordings } from "../../src/recordings/recordings.js";
import { HealthState } from "../../src/server/grpc/health.js";
import { interceptors, routes } from "../../src/server/routes.js";
import { generateToken } from "../../src/server/transport/auth.js";
import { FakeDesktop, fakeHost } from "./fake-desktop.js";
import { testLogger } from "./server.js";

export interface InMemoryService {
  /** The fake desktop (the driver of every session the host hands out). */
  desktop: FakeDesktop;
  host: SessionHost<FakeDesktop>;
  /** A client sending the right token. */
  client: DesktopClient;
  /** A client for any token (`undefined`: no Authorization header). */
  clientWithToken(token: string | undefined): DesktopClient;
  /** Aborting it is what a server shutdown does to calls. */
  shutdown: AbortController;
  close(): Promise<void>;
}

export interface InMemoryOptions {
  /** Off unless given (the fake desktop never redraws, so every switch of input kind would wait). */
  inputOrder?: InputOrderOptions | false;
  /** How the fake desktop's screen changes are seen ("damage" unless told). */
  source?: ChangeSource;
  /** The desktop's clock (the real one unless told: a FakeClock for timing specs). */
  clock?: Clock;
}

export async function startInMemory(native?: Size, opts: InMemoryOptions = {}): Promise<InMemoryService> {
  const desktop = new FakeDesktop(native, opts.source, opts.clock);
  const host = fakeHost(desktop, { inputOrder: opts.inputOrder ?? false });
  const logger = testLogger();
  const token = generateToken();
  const shutdown = new AbortController();
  const runtimeDir = await mkdtemp(join(tmpdir(), "desktopd-unit-"));
  const recordings = await Recordings.create({ host, logger, runtimeDir });
  const router = routes({ host, recordings, logger, health: new HealthState() });
  const routerOptions = { interceptors: interceptors({ logger, token, shutdownSignal: shutdown.signal }) };
  const clientWithToken = (t: string | undefined) => {
    const auth: Interceptor = (next) => (req) => {
      if (t !== undefined) req.header.set("authorization", `Bearer ${t}`);
      return next(req);
    };
    return createClient(DesktopService, createRouterTransport(router, { router: routerOptions, transport: { interceptors: [auth] } }));
  };
  return {
    desktop,
    host,
    client: clientWithToken(token),
    clientWithToken,
    shutdown,
    close: async () => {
      await recordings.close();
      await rm(runtimeDir, { recursive: true, force: true });
    },
  };
}

/** Registers before/after hooks for one in-memory service per suite; returns its getter. */
export function useInMemory(native?: Size, opts: InMemoryOptions = {}): () => InMemoryService {
  let service: InMemoryService | undefined;
  before(async () => {
    service = await startInMemory(native, opts);
  });
  after(() => service?.close());
  return () => {
    if (!service) throw new Error("useInMemory: the service is not started yet (use it inside a test)");
    return service;
  };
}
