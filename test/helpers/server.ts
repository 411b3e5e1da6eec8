/**
 * Starts a real desktopd (built-in backend, real Xvnc) on an ephemeral port
 * with a random token, and tears it down.
 */
import { pino } from "pino";
import { createDesktopClient, type DesktopClient } from "../../src/client/client.js";
import { BuiltinDesktop } from "../../src/desktop/builtin/builtin.js";
import type { Size } from "../../src/desktop/geometry.js";
import { generateToken } from "../../src/server/auth.js";
import { startServer, type RunningServer } from "../../src/server/server.js";

export interface TestServer {
  url: string;
  token: string;
  desktop: BuiltinDesktop;
  server: RunningServer;
  /** Generated client over gRPC (HTTP/2). */
  grpc: DesktopClient;
  /** Generated client over Connect (HTTP/1.1). */
  connect: DesktopClient;
  close(): Promise<void>;
}

export async function startTestServer(opts: { geometry?: Size; open?: string[][] } = {}): Promise<TestServer> {
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const desktop = new BuiltinDesktop({ geometry: opts.geometry, open: opts.open, logger });
  const token = generateToken();
  const server = await startServer({ desktop, token, logger, port: 0, shutdownGraceMs: 500 });
  await desktop.start();
  return {
    url: server.url,
    token,
    desktop,
    server,
    grpc: createDesktopClient({ baseUrl: server.url, token }),
    connect: createDesktopClient({ baseUrl: server.url, token, protocol: "connect", httpVersion: "1.1" }),
    close: () => server.close(),
  };
}
