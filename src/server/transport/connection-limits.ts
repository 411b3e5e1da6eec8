/**
 * Limits on connections that do no work: a cap on open connections, and time
 * limits for a connection that never completes a request (idle, or
 * slowloris: headers or the HTTP/2 preface a byte at a time), for HTTP/1.1
 * keep-alive, and for an HTTP/2 session with no stream open. Without them,
 * idle clients hold descriptors and memory for as long as they like.
 *
 * What a connection gets, from its first byte (after the TLS handshake with
 * TLS; the handshake has its own limit):
 * - HTTP/1.1: `firstRequestMs` to send complete headers (Node's
 *   headersTimeout on cleartext; a per-socket timer with TLS), and
 *   `requestMs` for the whole request (cleartext only: Node's secure HTTP/2
 *   server, which also serves HTTP/1.1, has no such setting).
 * - HTTP/2: `firstRequestMs` for the preface (cleartext sniffing), then the
 *   session is closed (GOAWAY) after `idleSessionMs` without an open stream.
 * A WebSocket (Upgrade) is a request; once upgraded, its own protocol rules.
 */
import type http from "node:http";
import type http2 from "node:http2";
import type net from "node:net";

export interface ConnectionLimits {
  /** Open connections at most; past it, the oldest idle unauthenticated one is closed for the new one (src/server/transport/connection-table.ts). */
  maxConnections: number;
  /** Time a connection gets to send its first complete request headers (or the HTTP/2 preface), ms. */
  firstRequestMs: number;
  /** Time an HTTP/1.1 request gets to arrive whole, ms. */
  requestMs: number;
  /** Time an HTTP/2 session may stay without an open stream, ms. */
  idleSessionMs: number;
  /** Time the TLS handshake gets, ms. */
  handshakeMs: number;
}

export const CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: 1000,
  firstRequestMs: 10_000,
  requestMs: 60_000,
  idleSessionMs: 120_000,
  handshakeMs: 10_000,
};

/** Destroys `sock` unless `started()` is called within `ms`. */
export function deadline(sock: net.Socket, ms: number): { started(): void } {
  const timer = setTimeout(() => sock.destroy(), ms).unref();
  sock.once("close", () => clearTimeout(timer));
  return { started: () => clearTimeout(timer) };
}

/** HTTP/1.1 time limits on a cleartext server. */
export function limitHttp1(server: http.Server, limits: ConnectionLimits): void {
  server.headersTimeout = limits.firstRequestMs;
  server.requestTimeout = limits.requestMs;
}

/** Closes each HTTP/2 session of `server` once it has had no open stream for `idleSessionMs`. */
export function closeIdleSessions(server: http2.Http2Server | http2.Http2SecureServer, limits: ConnectionLimits): void {
  server.on("session", (session) => {
    let open = 0;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      timer = setTimeout(() => session.close(), limits.idleSessionMs).unref();
    };
    arm();
    session.on("stream", (stream) => {
      open++;
      clearTimeout(timer);
      stream.once("close", () => {
        if (--open === 0 && !session.closed) arm();
      });
    });
    session.once("close", () => clearTimeout(timer));
  });
}
