/**
 * The listening socket. Cleartext: a cleartext HTTP/2 server rejects
 * HTTP/1.1, so each connection's first bytes are sniffed for the HTTP/2
 * preface and the socket is handed to the matching server (h2c or HTTP/1.1).
 * TLS: one secure HTTP/2 server with allowHTTP1, ALPN picking h2 or http/1.1.
 * HTTP/1.1 Upgrade requests (WebSockets) go to `upgrade` in both cases.
 * Connections that do no work are bounded (src/server/transport/connection-limits.ts);
 * past the cap, the oldest idle unauthenticated one makes room for a new one
 * (src/server/transport/connection-table.ts).
 * HTTP/2 sessions get windows for bulk streams (src/wire/flow-control.ts).
 */
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { BULK_SETTINGS, widenConnectionWindow } from "../../wire/flow-control.js";
import { CONNECTION_LIMITS, type ConnectionLimits, closeIdleSessions, deadline, limitHttp1 } from "./connection-limits.js";
import { ConnectionTable } from "./connection-table.js";

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** PEM contents of a certificate chain and its private key. */
export interface TlsFiles {
  cert: Buffer | string;
  key: Buffer | string;
}

type Handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;
/** An HTTP/1.1 `Upgrade` request (WebSocket); browsers open WebSockets over HTTP/1.1. */
type UpgradeHandler = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface Listener {
  /** The server to listen() on and close(). */
  server: net.Server;
  /** Open TCP connections (destroyed after the shutdown grace). */
  sockets: Set<net.Socket>;
  /** Open HTTP/2 sessions (closed gracefully at shutdown). */
  sessions: Set<http2.ServerHttp2Session>;
  /** Shutdown: closes the connections that carry no request or stream, and the others once they carry none (ConnectionTable.drain). */
  closeIdle(): void;
}

export interface ListenerOptions {
  tls?: TlsFiles;
  upgrade?: UpgradeHandler;
  limits?: ConnectionLimits;
  /** Whether a request (its headers and URL) carries a valid bearer token: its connection is then kept over unauthenticated ones. */
  authenticates?: (headers: http.IncomingHttpHeaders, url: string) => boolean;
  logger: Logger;
}

/** The TCP socket under a TLS socket (Node keeps it as `_parent`). */
const tcpOf = (tlsSocket: object): object => (tlsSocket as { _parent?: object })._parent ?? tlsSocket;

export function createListener(handler: Handler, opts: ListenerOptions): Listener {
  const { tls, upgrade } = opts;
  const limits = opts.limits ?? CONNECTION_LIMITS;
  // Each connection's deadline for its first request, until that request comes.
  const firstRequest = new WeakMap<object, { started(): void }>();
  const awaitFirstRequest = (sock: net.Socket) => firstRequest.set(sock, deadline(sock, limits.firstRequestMs));
  const requestCame = (req: { socket: object }) => firstRequest.get(req.socket)?.started();
  const onUpgrade = (s: http.Server | http2.Http2SecureServer) => {
    // Without a listener Node closes upgrade requests.
    if (upgrade) s.on("upgrade", upgrade);
  };
  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<net.Socket>();
  const table = new ConnectionTable(limits.maxConnections, opts.logger);
  const authenticates = opts.authenticates ?? (() => false);
  /** Notes work on `sock`'s connection until `ended` fires, and a valid token on it. */
  const working = (sock: object, headers: http.IncomingHttpHeaders, url: string, ended: (done: () => void) => void) => {
    ended(table.busy(sock));
    if (!table.isAuthenticated(sock) && authenticates(headers, url)) table.authenticated(sock);
  };
  const track = (s: http2.Http2Server | http2.Http2SecureServer) =>
    s.on("session", (session) => {
      widenConnectionWindow(session);
      table.http2(session.socket);
      sessions.add(session);
      session.on("close", () => sessions.delete(session));
      // The session's socket is a proxy that forwards the table's lookup to the connection.
      session.on("stream", (stream, headers) =>
        working(session.socket, headers, String(headers[":path"] ?? ""), (done) => stream.once("close", done)),
      );
    });
  const watchHttp1 = (s: http.Server | http2.Http2SecureServer) => {
    s.on("request", (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
      if (req.httpVersionMajor === 1) working(req.socket, req.headers, req.url ?? "", (done) => res.once("close", done));
    });
    // A WebSocket holds its connection until it closes.
    s.on("upgrade", (req: http.IncomingMessage, socket: Duplex) =>
      working(req.socket, req.headers, req.url ?? "", (done) => socket.once("close", done)),
    );
  };
  const keep = (sock: net.Socket) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
  };
  if (tls) {
    const server = http2.createSecureServer(
      {
        cert: tls.cert,
        key: tls.key,
        allowHTTP1: true,
        maxSessionMemory: 64,
        handshakeTimeout: limits.handshakeMs,
        settings: BULK_SETTINGS,
      },
      handler,
    );
    track(server);
    onUpgrade(server);
    watchHttp1(server);
    server.on("connection", (sock: net.Socket) => {
      if (table.admit(sock)) keep(sock);
    });
    closeIdleSessions(server, limits);
    // HTTP/2 sessions have the idle limit; an HTTP/1.1 connection must send a request.
    server.on("secureConnection", (sock) => {
      table.alias(sock, tcpOf(sock));
      if (sock.alpnProtocol !== "h2") awaitFirstRequest(sock);
    });
    server.on("request", requestCame);
    server.on("upgrade", requestCame);
    return { server, sockets, sessions, closeIdle: () => table.drain() };
  }
  const h2 = http2.createServer({ maxSessionMemory: 64, settings: BULK_SETTINGS }, handler);
  // Node checks its HTTP/1.1 time limits every connectionsCheckingInterval (30 s by default).
  const h1 = http.createServer({ connectionsCheckingInterval: 1000 }, handler);
  // Node tracks an HTTP/1.1 server's connections, and so enforces its
  // headersTimeout and requestTimeout, from its 'listening' event on
  // (lib/_http_server.js, setupConnectionsTracking); this one never listens
  // itself (connections come from the sniffer below), so it is told.
  h1.emit("listening");
  track(h2);
  onUpgrade(h1);
  watchHttp1(h1);
  closeIdleSessions(h2, limits);
  limitHttp1(h1, limits);
  h1.on("request", requestCame);
  h1.on("upgrade", requestCame);
  const server = net.createServer((sock) => {
    if (!table.admit(sock)) return;
    keep(sock);
    const first = deadline(sock, limits.firstRequestMs);
    sniff(sock, (isH2) => {
      // HTTP/2: the preface came in time; from here the session's idle limit applies.
      if (isH2) first.started();
      else firstRequest.set(sock, first);
      (isH2 ? h2 : h1).emit("connection", sock);
    });
  });
  return { server, sockets, sessions, closeIdle: () => table.drain() };
}

/** Calls `done(true)` once the socket's first bytes are the HTTP/2 preface. */
function sniff(sock: net.Socket, done: (isH2: boolean) => void): void {
  let buf = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    const n = Math.min(buf.length, H2_PREFACE.length);
    const isPrefix = buf.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
    if (isPrefix && buf.length < H2_PREFACE.length) return;
    sock.off("data", onData);
    sock.pause();
    sock.unshift(buf);
    done(isPrefix);
    // http2 reads the buffered bytes itself on the next tick; a flowing socket
    // would drop them. The HTTP/1.1 parser needs the socket flowing again.
    if (!isPrefix) sock.resume();
  };
  sock.on("data", onData);
  sock.on("error", () => sock.destroy());
}
