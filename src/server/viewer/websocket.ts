/**
 * The `/vnc` WebSocket endpoint for browser viewers (noVNC): each WebSocket
 * is one RFB connection to the desktop's VNC server, binary messages relayed
 * both ways with backpressure (ws's stream wrapper); what the VNC connection
 * has buffered goes to the viewer in messages of up to 256 KiB.
 *
 * Browsers cannot set an Authorization header on a WebSocket, so the bearer
 * token may also come as the `token` query parameter. Without a valid token
 * the upgrade is answered 401 and nothing reaches the desktop; a page of an
 * origin that is not allowed gets 403 (src/server/transport/origins.ts). `view_only=1`
 * puts a ViewOnlyFilter (src/server/viewer/view-only.ts) on the viewer's
 * input. At shutdown every viewer is closed with 1001 (going away).
 */
import type http from "node:http";
import type { Duplex } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Logger } from "pino";
import { createWebSocketStream, type WebSocket, WebSocketServer } from "ws";
import type { DesktopHost } from "../../desktop/desktop.js";
import { type Metrics, NO_VNC_METER } from "../metrics/metrics.js";
import { coalesce } from "../transport/coalesce.js";
import { type Credentials, tenantAuthorized } from "../transport/credentials.js";
import type { OriginPolicy } from "../transport/origins.js";
import { requestUrl } from "../transport/request-url.js";
import { ViewOnlyFilter } from "./view-only.js";

/** The endpoint's path. */
export const VNC_WEBSOCKET_PATH = "/vnc";

/** Largest message sent to a viewer, bytes: what the VNC connection has buffered is joined up to this. */
const MAX_MESSAGE = 256 * 1024;

/** Largest WebSocket message accepted from a viewer, bytes (RFB client messages are small). */
const MAX_PAYLOAD = 1024 * 1024;

/**
 * Time between pings to each viewer, ms. A still screen sends no RFB bytes,
 * and routers cut a tunnel idle for a while (nginx's proxy_read_timeout: 60
 * s; agent-sandbox's router: 180 s); a viewer that misses two pings in a row
 * is gone and is closed.
 */
export const VIEWER_PING_MS = 25_000;

export interface VncWebSocketOptions {
  host: DesktopHost;
  /** The tenant's token, or the service's Credentials. */
  token: string | Credentials;
  /** Which pages may open viewers (src/server/transport/origins.ts), and the scheme the service is reached over. */
  origins: OriginPolicy;
  scheme: "http" | "https";
  logger: Logger;
  /** Where viewers and relayed bytes are counted; nowhere when unset. */
  metrics?: Metrics;
  /** Time between pings, ms; VIEWER_PING_MS when unset. */
  pingMs?: number;
}

export interface VncWebSocket {
  /** For the HTTP server's 'upgrade' event; answers 404 for other paths and 401 without the token. */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every viewer with 1001 and refuses new ones. */
  close(): void;
}

export function vncWebSocket({
  host,
  token,
  origins,
  scheme,
  logger,
  metrics,
  pingMs = VIEWER_PING_MS,
}: VncWebSocketOptions): VncWebSocket {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD, perMessageDeflate: false });
  const viewers = new Set<WebSocket>();
  let closed = false;

  const refuse = (socket: Duplex, status: string, extra = "") => {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n${extra}\r\n`);
  };

  const handleUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const url = requestUrl(req.url);
    const peer = req.socket.remoteAddress;
    if (url.pathname !== VNC_WEBSOCKET_PATH) return refuse(socket, "404 Not Found");
    if (closed) return refuse(socket, "503 Service Unavailable");
    // A page of another site must not drive the desktop through a visitor's browser.
    const verdict = origins.judge(req.headers, scheme);
    if (verdict.kind === "refused") {
      logger.warn({ peer, origin: verdict.origin }, "viewer refused: origin not allowed");
      return refuse(socket, "403 Forbidden");
    }
    const query = url.searchParams.get("token");
    const authorized = tenantAuthorized(token, req.headers.authorization ?? (query === null ? null : `Bearer ${query}`));
    if (!authorized) {
      logger.warn({ peer, path: url.pathname }, "viewer refused: missing or invalid token");
      return refuse(socket, "401 Unauthorized", "WWW-Authenticate: Bearer\r\n");
    }
    const viewOnly = url.searchParams.get("view_only") === "1";
    wss.handleUpgrade(req, socket, head, (ws) => {
      viewers.add(ws);
      const pings = keepAlive(ws, pingMs);
      ws.once("close", () => {
        clearInterval(pings);
        viewers.delete(ws);
      });
      void bridge(ws, viewOnly, peer);
    });
  };

  const bridge = async (ws: WebSocket, viewOnly: boolean, peer: string | undefined) => {
    const log = logger.child({ peer, viewOnly });
    let vnc: Duplex;
    try {
      vnc = await (await host.session()).connectVnc();
    } catch (err) {
      log.error({ err: (err as Error).message }, "viewer: desktop VNC unavailable");
      ws.close(1011, "desktop unavailable");
      return;
    }
    log.info("viewer connected");
    const viewer = createWebSocketStream(ws);
    const filter = viewOnly ? new ViewOnlyFilter() : undefined;
    const meter = metrics?.vncRelay("websocket") ?? NO_VNC_METER;
    const counted = async function* (chunks: AsyncIterable<Buffer>, count: (n: number) => void) {
      for await (const c of chunks) {
        count(c.length);
        yield c;
      }
    };
    const toViewer = pipeline(counted(coalesce(vnc, MAX_MESSAGE), meter.toViewer), viewer);
    const fromViewer = (source: AsyncIterable<Buffer>) => counted(source, meter.toDesktop);
    const toDesktop = filter ? pipeline(viewer, fromViewer, filter, vnc) : pipeline(viewer, fromViewer, vnc);
    const results = await Promise.allSettled([toViewer, toDesktop]);
    vnc.destroy();
    meter.done();
    if (ws.readyState === ws.OPEN) ws.close(1000);
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    log.info({ dropped: filter?.dropped, reason: failure?.reason?.message }, "viewer disconnected");
  };

  const close = () => {
    closed = true;
    for (const ws of viewers) ws.close(1001, "server shutting down");
  };

  return { handleUpgrade, close };
}

/** Pings `ws` every `ms`; terminates it when the previous ping got no pong. */
function keepAlive(ws: WebSocket, ms: number): NodeJS.Timeout {
  let answered = true;
  ws.on("pong", () => {
    answered = true;
  });
  return setInterval(() => {
    if (!answered) return void ws.terminate();
    answered = false;
    ws.ping();
  }, ms).unref();
}
