/**
 * The server bootstrap: one TCP port serving Connect, gRPC and gRPC-Web over
 * HTTP/2 and HTTP/1.1, in cleartext or TLS (src/server/transport/listener.ts), and the
 * browser live view (page at `/`, `/vnc` WebSocket: src/server/viewer/); the
 * desktop started at once; graceful shutdown.
 */
import type net from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import type { Desktop } from "../desktop/desktop.js";
import { Recordings } from "../desktop/recording/recordings.js";
import { serviceRuntimeDir } from "../runtime-dir.js";
import { HealthState, ServingStatus } from "./grpc/health.js";
import { PUBLIC_SERVICES, routes } from "./routes.js";
import type { RecordingLimits } from "./rpc/stop-recording.js";
import { bearerAuth } from "./transport/auth.js";
import { createListener, type TlsFiles } from "./transport/listener.js";
import { callLogger } from "./transport/logging.js";
import { staticFiles } from "./viewer/static.js";
import { vncWebSocket } from "./viewer/websocket.js";

/** Largest message accepted or sent, bytes (clients in other languages default to 4 MiB receive). */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

export interface ServerOptions {
  desktop: Desktop;
  token: string;
  logger: Logger;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** PEM certificate chain and key: serve h2 and HTTP/1.1 over TLS (ALPN). Cleartext (h2c + HTTP/1.1) when unset. */
  tls?: TlsFiles;
  /** Time streams get to finish after shutdown starts, ms. */
  shutdownGraceMs?: number;
  /** The desktop's recordings; by default created in the service runtime dir (src/runtime-dir.ts). */
  recordings?: Recordings;
  /** Size limits of what StopRecording sends (src/server/rpc/stop-recording.ts). */
  recordingLimits?: RecordingLimits;
}

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:7000 (https:// with TLS); the live view page is at `${url}/`. */
  url: string;
  port: number;
  /** Ends streams with UNAVAILABLE, closes connections, kills and deletes recordings, closes the desktop. */
  close(): Promise<void>;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const shutdown = new AbortController();
  const { desktop, logger } = opts;
  const recordings = opts.recordings ?? (await Recordings.create({ desktop, logger, runtimeDir: await serviceRuntimeDir() }));
  const health = new HealthState();
  const handler = connectNodeAdapter({
    routes: routes({ desktop, recordings, recordingLimits: opts.recordingLimits, logger, shutdownSignal: shutdown.signal, health }),
    interceptors: [callLogger(opts.logger), bearerAuth(opts.token, (service) => PUBLIC_SERVICES.includes(service))],
    readMaxBytes: MAX_MESSAGE_BYTES,
    writeMaxBytes: MAX_MESSAGE_BYTES,
    shutdownSignal: shutdown.signal,
    fallback: staticFiles(),
  });
  const viewers = vncWebSocket({ desktop, token: opts.token, logger });
  const { server: tcp, sockets, sessions, closeIdle } = createListener(handler, { tls: opts.tls, upgrade: viewers.handleUpgrade });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(opts.port ?? 7000, host, () => resolve());
  }).catch(async (err) => {
    if (!opts.recordings) await recordings.close();
    throw err;
  });
  const port = (tcp.address() as net.AddressInfo).port;
  const url = `${opts.tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}`;
  opts.logger.info({ url }, "listening");
  startDesktop(desktop, health, shutdown.signal, logger);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      opts.logger.info("shutting down");
      health.set(ServingStatus.NOT_SERVING);
      // A moment for Watch streams to send NOT_SERVING before streams are ended.
      await new Promise((r) => setTimeout(r, 50));
      tcp.close();
      shutdown.abort();
      viewers.close();
      // At once: new recordings are refused from here on.
      const recordingsClosed = recordings.close();
      for (const s of sessions) s.close();
      closeIdle();
      const grace = opts.shutdownGraceMs ?? 2000;
      const deadline = Date.now() + grace;
      while (sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      for (const sock of sockets) sock.destroy();
      await recordingsClosed;
      await opts.desktop.close();
      opts.logger.info("stopped");
    })());
  return { url, port, close };
}

/**
 * Starts the desktop now, so the first call is fast and failures show at
 * once; retries every 5 s until it starts (health then says SERVING).
 */
function startDesktop(desktop: Desktop, health: HealthState, stop: AbortSignal, logger: Logger): void {
  const attempt = () => {
    if (stop.aborted) return;
    desktop.start().then(
      () => {
        if (!stop.aborted) health.set(ServingStatus.SERVING);
      },
      (err: Error) => {
        if (stop.aborted) return;
        logger.error({ err: err.message }, "desktop failed to start; retrying in 5 s (calls retry too)");
        setTimeout(attempt, 5000).unref();
      },
    );
  };
  attempt();
}
