/**
 * Starts a real desktopd (real Xvnc) on an ephemeral port with a random token,
 * and tears it down. The built-in backend by default; `contractBackends`
 * lists the contract suite's backends.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import { type Logger, pino } from "pino";
import { createDesktopClient, type DesktopClient } from "../../src/client/client.js";
import type { BuiltinDriver } from "../../src/desktop/builtin/driver.js";
import { builtinHost } from "../../src/desktop/builtin/host.js";
import type { Size } from "../../src/desktop/geometry.js";
import type { PortableDriver } from "../../src/desktop/portable/driver.js";
import { portableHost } from "../../src/desktop/portable/host.js";
import type { SessionDriver } from "../../src/desktop/session.js";
import type { SessionHost } from "../../src/desktop/session-host.js";
import type { StallLimits } from "../../src/desktop/stall.js";
import type { FileRoot } from "../../src/files/file-root.js";
import { Recordings, type RecordingsOptions } from "../../src/recordings/recordings.js";
import type { RecordingLimits } from "../../src/server/rpc/stop-recording.js";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { generateToken } from "../../src/server/transport/auth.js";
import { Credentials } from "../../src/server/transport/credentials.js";
import type { TlsFiles } from "../../src/server/transport/listener.js";

export interface TestServer<D extends SessionDriver = BuiltinDriver> {
  url: string;
  token: string;
  /** The service's desktop host. */
  host: SessionHost<D>;
  server: RunningServer;
  /** Generated client over gRPC (HTTP/2). */
  grpc: DesktopClient;
  /** Generated client over Connect (HTTP/1.1). */
  connect: DesktopClient;
  /** The server's recordings (their directory is a private temp dir per server). */
  recordings: Recordings;
  /** The running desktop's driver (its backend's facts: the XServer, the CLI session); throws when none runs. */
  driver(): D;
  /** Process ids of the running desktop, the X server first; [] when none runs. */
  pids(): number[];
  /** How a test X client joins the running desktop (cookie "" when the server has no access control). */
  x11(): { display: string; cookie: string };
  close(): Promise<void>;
}

export const testLogger = () => pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

/** The contract-faithful stand-in for the portabledesktop CLI (test/fixtures). */
export const PORTABLEDESKTOP_STANDIN = fileURLToPath(new URL("../fixtures/portabledesktop", import.meta.url));

/** What a spec may change about a server's recordings. */
export interface RecordingSetup {
  recordings?: Partial<Omit<RecordingsOptions, "desktop" | "logger" | "runtimeDir">>;
  recordingLimits?: RecordingLimits;
  /** Serve over TLS with this PEM certificate and key; the clients trust the certificate. */
  tls?: TlsFiles;
  /** The service's logger; silent unless TEST_LOG_LEVEL says otherwise. */
  logger?: Logger;
  /** Time between pings to /vnc viewers, ms. */
  viewerPingMs?: number;
}

async function serve<D extends SessionDriver>(
  host: SessionHost<D>,
  setup: RecordingSetup & { files?: FileRoot; resetFiles?: boolean; fileTemplate?: string; bootstrap?: string } = {},
): Promise<TestServer<D>> {
  // A warm desktop: `token` is then the bootstrap secret, good for Claim only.
  const token = setup.bootstrap ?? generateToken();
  const logger = setup.logger ?? testLogger();
  const runtimeDir = await mkdtemp(join(tmpdir(), "desktopd-test-"));
  const recordings = await Recordings.create({ host, logger, runtimeDir, ...setup.recordings });
  const server = await startServer({
    desktop: host,
    token: setup.bootstrap ? new Credentials({ bootstrap: setup.bootstrap }) : token,
    logger,
    port: 0,
    shutdownGraceMs: 500,
    recordings,
    recordingLimits: setup.recordingLimits,
    tls: setup.tls,
    files: setup.files,
    resetFiles: setup.resetFiles,
    fileTemplate: setup.fileTemplate,
    viewerPingMs: setup.viewerPingMs,
  });
  const ca = setup.tls?.cert;
  await host.session();
  const driver = () => {
    const s = host.current();
    if (!s) throw new Error("no desktop runs");
    return s.driver as D;
  };
  return {
    url: server.url,
    token,
    host,
    server,
    recordings,
    grpc: createDesktopClient({ baseUrl: server.url, token, ca }),
    connect: createDesktopClient({ baseUrl: server.url, token, protocol: "connect", httpVersion: "1.1", ca }),
    driver,
    pids: () => host.current()?.pids ?? [],
    x11: () => {
      const { display, cookie } = driver().endpoint;
      return { display, cookie };
    },
    close: async () => {
      await server.close();
      await rm(runtimeDir, { recursive: true, force: true });
    },
  };
}

export interface TestServerOptions extends RecordingSetup {
  geometry?: Size;
  open?: string[][];
  /** Time limits for a stalled desktop (src/desktop/stall.ts). */
  limits?: StallLimits;
  /** The file RPCs' root; off when unset. */
  files?: FileRoot;
  /** Reset empties the file root (`serve --reset-files`). */
  resetFiles?: boolean;
  /** Reset then fills it with a copy of this directory (`serve --file-root-template`). */
  fileTemplate?: string;
  /** Start unclaimed with this bootstrap secret (`serve --bootstrap-secret-file`); `token` is then the secret. */
  bootstrap?: string;
}

/**
 * The environment of test desktops and their applications: a terminal's shell
 * without the machine's dotfiles (a user's ~/.bashrc can hold a new shell for
 * a minute, e.g. behind a stale pyenv rehash lock left by a killed shell).
 */
export const DESKTOP_ENV: NodeJS.ProcessEnv = { ...process.env, SHELL: "/bin/sh" };

export async function startTestServer(opts: TestServerOptions & { ffmpeg?: string } = {}): Promise<TestServer> {
  const host = builtinHost({
    env: DESKTOP_ENV,
    geometry: opts.geometry,
    open: opts.open,
    ffmpeg: opts.ffmpeg,
    limits: opts.limits,
    logger: testLogger(),
  });
  return serve(host, opts);
}

/** `env`: the CLI's environment, read at each command (the stand-in's PDSTUB_* failure injection goes there). */
export async function startPortableServer(
  opts: TestServerOptions & { binary?: string; env?: NodeJS.ProcessEnv; screenChanges?: "auto" | "frames" } = {},
): Promise<TestServer<PortableDriver>> {
  const host = portableHost({
    binary: opts.binary ?? PORTABLEDESKTOP_STANDIN,
    geometry: opts.geometry,
    open: opts.open,
    env: opts.env ?? DESKTOP_ENV,
    screenChanges: opts.screenChanges,
    limits: opts.limits,
    logger: testLogger(),
  });
  return serve(host, opts);
}

export interface ContractBackend {
  name: string;
  start(opts?: TestServerOptions): Promise<TestServer<SessionDriver>>;
}

/**
 * The backends the Desktop contract suite runs on: built-in, PortableDesktop
 * through the stand-in CLI, and a real `portabledesktop` when one is on PATH.
 */
export function contractBackends(): ContractBackend[] {
  const backends: ContractBackend[] = [
    { name: "builtin", start: (o) => startTestServer(o) },
    { name: "portabledesktop (stand-in CLI)", start: (o) => startPortableServer(o) },
  ];
  try {
    const real = execFileSync("sh", ["-c", "command -v portabledesktop"], { encoding: "utf8" }).trim();
    if (real) backends.push({ name: `portabledesktop (${real})`, start: (o) => startPortableServer({ ...o, binary: real }) });
  } catch {
    // no real portabledesktop here
  }
  return backends;
}

/**
 * Registers `before` and `after` hooks that start a server for the suite and
 * close it (as connect-es's useNodeServer does); returns its getter, for use
 * inside tests and hooks that run after it.
 */
export function useServer<D extends SessionDriver>(start: () => Promise<TestServer<D>>): () => TestServer<D> {
  let server: TestServer<D> | undefined;
  before(async () => {
    server = await start();
  });
  after(() => server?.close());
  return () => {
    if (!server) throw new Error("useServer: the server is not started yet (use it inside a test or a later hook)");
    return server;
  };
}

/** A real built-in desktop server for the suite (see useServer). */
export const useTestServer = (opts: TestServerOptions & { ffmpeg?: string } = {}) => useServer(() => startTestServer(opts));
