/**
 * The server bootstrap: one TCP port serving Connect, gRPC and gRPC-Web over
 * HTTP/2 and HTTP/1.1, in cleartext or TLS (src/server/transport/listener.ts), and the
 * browser live view (page at `/`, `/vnc` WebSocket: src/server/viewer/), the
 * MCP endpoint (`/mcp`: src/server/mcp/); the desktop started at once;
 * graceful shutdown.
 */
import { setMaxListeners } from "node:events";
import type net from "node:net";
import { createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { DesktopService } from "../../gen/desktop/v1/desktop_pb.js";
import type { DesktopHost } from "../desktop/desktop.js";
import type { FileRoot } from "../files/file-root.js";
import { withDefaults } from "../os/defaults.js";
import { sleep, TIMED_OUT, withTimeout } from "../os/sleep.js";
import type { Recordings } from "../recordings/recordings.js";
import { SERVICE_VERSION } from "../version.js";
import { MAX_MESSAGE_BYTES } from "../wire/message-limits.js";
import { DEFAULTS } from "./defaults.js";
import { DesktopStatus } from "./desktop-status.js";
import { HealthState } from "./grpc/health.js";
import { mcpEndpoint } from "./mcp/endpoint.js";
import { listenMetrics } from "./metrics/endpoint.js";
import { Metrics } from "./metrics/metrics.js";
import { probes } from "./probes.js";
import { interceptors, routes } from "./routes.js";
import type { RecordingLimits } from "./rpc/stop-recording.js";
import type { ConnectionLimits } from "./transport/connection-limits.js";
import { type Credentials, tenantAuthorized } from "./transport/credentials.js";
import { createListener, type TlsFiles } from "./transport/listener.js";
import { nodeHandler } from "./transport/node-handler.js";
import { OriginPolicy } from "./transport/origins.js";
import { requestUrl } from "./transport/request-url.js";
import { staticFiles } from "./viewer/static.js";
import { vncWebSocket } from "./viewer/websocket.js";

export interface ServerOptions {
  /** The desktop's host: it hands out the running desktop session. */
  desktop: DesktopHost;
  /** The tenant's bearer token; or Credentials, for a warm desktop that a Claim gives its token. */
  token: string | Credentials;
  logger: Logger;
  /** Address to listen on. */
  host?: string;
  /** Port; 0 picks a free one. */
  port?: number;
  /** PEM certificate chain and key: serve h2 and HTTP/1.1 over TLS (ALPN). Cleartext (h2c + HTTP/1.1) when unset. */
  tls?: TlsFiles;
  /** Time streams get to finish after shutdown starts, ms; then their connections are destroyed. */
  shutdownGraceMs?: number;
  /** The desktop's recordings; the server closes them at shutdown (and if it cannot listen). */
  recordings: Recordings;
  /** Size limits of what StopRecording sends (src/server/rpc/stop-recording.ts). */
  recordingLimits?: RecordingLimits;
  /** Limits on connections that do no work (src/server/transport/connection-limits.ts). */
  connectionLimits?: ConnectionLimits;
  /** Browser origins besides the service's own that may call it (CORS) and open viewers; none by default. */
  allowOrigins?: string[];
  /** Where the file RPCs read and write; unset: they are off (PERMISSION_DENIED). */
  files?: FileRoot;
  /** Reset empties `files`' root (`serve --reset-files`); kept otherwise. */
  resetFiles?: boolean;
  /** Reset fills the emptied file root with a copy of this directory (`--file-root-template`). */
  fileTemplate?: string;
  /** Time between WebSocket pings to /vnc viewers, ms (src/server/viewer/websocket.ts: 25 s). */
  viewerPingMs?: number;
  /** Serve /metrics on this address without the token, instead of on the service port behind it. */
  metricsListen?: { host: string; port: number };
  /** A span per RPC (src/server/tracing/); shut down, sending what is queued, when the server closes. */
  tracing?: { interceptor: Interceptor; shutdown(): Promise<void> };
}

export { DEFAULTS };

/** Time queued trace spans get to reach the collector at shutdown, ms. */
const TRACING_FLUSH_MS = 1000;

/** Time health Watch streams get to send NOT_SERVING before streams are ended at shutdown, ms. */
const WATCH_FLUSH_MS = 50;

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:7000 (https:// with TLS); the live view page is at `${url}/`. */
  url: string;
  port: number;
  /** The /metrics URL of `metricsListen`, when one was given. */
  metricsUrl?: string;
  /** The server's metrics registry. */
  metrics: Metrics;
  /** Ends streams with UNAVAILABLE, closes connections, kills and deletes recordings, closes the desktop. */
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const opts = withDefaults(DEFAULTS, options);
  const shutdown = new AbortController();
  // Every call in flight listens on it (connect-es links each call's signal to it): no limit, no false leak warning.
  setMaxListeners(0, shutdown.signal);
  const { desktop, logger, recordings } = opts;
  const health = new HealthState();
  const metrics = new Metrics();
  const status = new DesktopStatus(desktop, health, metrics, logger);
  const credentials = typeof opts.token === "string" ? undefined : opts.token;
  const origins = new OriginPolicy(opts.allowOrigins, () => credentials?.origins ?? []);
  const scheme = opts.tls ? "https" : "http";
  const services = routes({
    host: desktop,
    recordings,
    recordingLimits: opts.recordingLimits,
    files: opts.files,
    resetFiles: opts.resetFiles,
    fileTemplate: opts.fileTemplate,
    credentials,
    logger,
    health,
    metrics,
  });
  const calls = [
    ...(opts.tracing ? [opts.tracing.interceptor] : []),
    ...interceptors({ logger, metrics, token: opts.token, shutdownSignal: shutdown.signal }),
  ];
  const mcp = mcpEndpoint({
    client: createClient(DesktopService, createRouterTransport(services, { router: { interceptors: calls } })),
    token: opts.token,
    origins,
    scheme,
    logger,
    version: SERVICE_VERSION,
  });
  const statics = staticFiles();
  const probe = probes({ readiness: () => status.readiness(), metrics, token: opts.token, serveMetrics: !opts.metricsListen });
  const handler = nodeHandler({
    routes: services,
    interceptors: calls,
    readMaxBytes: MAX_MESSAGE_BYTES,
    writeMaxBytes: MAX_MESSAGE_BYTES,
    shutdownSignal: shutdown.signal,
    fallback: (req, res) => probe(req, res) || mcp(req, res) || statics(req, res),
    origins,
    scheme,
    logger,
  });
  const viewers = vncWebSocket({ host: desktop, token: opts.token, origins, scheme, logger, metrics, pingMs: opts.viewerPingMs });
  const {
    server: tcp,
    sockets,
    sessions,
    closeIdle,
  } = createListener(handler, {
    tls: opts.tls,
    upgrade: viewers.handleUpgrade,
    limits: opts.connectionLimits,
    // The header, or the live view's `token` query parameter (browsers cannot set headers on a WebSocket).
    authenticates: (headers, url) => {
      const query = url.includes("token=") ? requestUrl(url).searchParams.get("token") : null;
      return tenantAuthorized(opts.token, headers.authorization ?? (query === null ? null : `Bearer ${query}`));
    },
    logger,
  });
  const { host } = opts;
  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(opts.port, host, () => resolve());
  }).catch(async (err) => {
    await recordings.close();
    throw err;
  });
  const port = (tcp.address() as net.AddressInfo).port;
  const url = `${opts.tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}`;
  metrics.observe(metrics.connections, () => sockets.size);
  metrics.observe(metrics.recordings, () => recordings.active());
  const metricsEndpoint = opts.metricsListen
    ? await listenMetrics({ ...opts.metricsListen, tls: opts.tls, metrics }).catch(async (err) => {
        tcp.close();
        await recordings.close();
        throw err;
      })
    : undefined;
  logger.info({ url, metrics: metricsEndpoint?.url }, "listening");
  status.start();

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      logger.info("shutting down");
      status.stop();
      await sleep(WATCH_FLUSH_MS);
      tcp.close();
      shutdown.abort();
      viewers.close();
      // At once: new recordings are refused from here on.
      const recordingsClosed = recordings.close();
      for (const s of sessions) s.close();
      closeIdle();
      const open = [...sockets].map((sock) => new Promise((resolve) => sock.once("close", resolve)));
      if ((await withTimeout(Promise.all(open), opts.shutdownGraceMs)) === TIMED_OUT) for (const sock of sockets) sock.destroy();
      await recordingsClosed;
      await desktop.close();
      await opts.files?.close();
      await metricsEndpoint?.close();
      // A collector that does not answer must not hold the shutdown.
      if (opts.tracing && (await withTimeout(opts.tracing.shutdown(), TRACING_FLUSH_MS)) === TIMED_OUT) {
        logger.warn({ ms: TRACING_FLUSH_MS }, "traces not sent: the collector did not answer in time");
      }
      logger.info("stopped");
    })());
  return { url, port, metricsUrl: metricsEndpoint?.url, metrics, close };
}
