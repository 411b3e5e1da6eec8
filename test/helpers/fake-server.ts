/**
 * The real HTTP server (src/server/server.ts: listener, Node handler, routes,
 * interceptors) on an ephemeral loopback port with a FakeDesktop behind it:
 * for specs of what reaches the wire (malformed requests, connection limits,
 * origins) without an X server. Registers its own hooks.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { Recordings } from "../../src/recordings/recordings.js";
import { type RunningServer, type ServerOptions, startServer } from "../../src/server/server.js";
import { generateToken } from "../../src/server/transport/auth.js";
import { FakeDesktop, fakeHost } from "./fake-desktop.js";
import { testLogger } from "./server.js";

export interface FakeServer {
  url: string;
  token: string;
  desktop: FakeDesktop;
  server: RunningServer;
}

export type FakeServerOptions = Partial<Omit<ServerOptions, "desktop" | "token" | "recordings">>;

export async function startFakeServer(opts: FakeServerOptions = {}): Promise<FakeServer & { close(): Promise<void> }> {
  const desktop = new FakeDesktop({ width: 640, height: 480 });
  const host = fakeHost(desktop);
  const logger = opts.logger ?? testLogger();
  const token = generateToken();
  const runtimeDir = await mkdtemp(join(tmpdir(), "desktopd-fake-"));
  const recordings = await Recordings.create({ host, logger, runtimeDir });
  const server = await startServer({ port: 0, ...opts, desktop: host, token, logger, recordings });
  return {
    url: server.url,
    token,
    desktop,
    server,
    close: async () => {
      await server.close();
      await rm(runtimeDir, { recursive: true, force: true });
    },
  };
}

/** One fake server per suite (before/after hooks); returns its getter. */
export function useFakeServer(opts: FakeServerOptions = {}): () => FakeServer {
  let s: (FakeServer & { close(): Promise<void> }) | undefined;
  before(async () => {
    s = await startFakeServer(opts);
  });
  after(() => s?.close());
  return () => {
    if (!s) throw new Error("useFakeServer: not started yet (use it inside a test)");
    return s;
  };
}
