/**
 * The desktop's VNC server over the service's `/vnc` WebSocket, for RPC
 * clients behind routers that carry HTTP/1.1 and WebSockets but not HTTP/2
 * streams (the bidi `Vnc` RPC needs those): one WebSocket is one RFB
 * connection, binary messages both ways. The token goes in the Authorization
 * header, never in the URL (routers log URLs).
 *
 * The WebSocket is a WHATWG one whose constructor takes `(url, { headers })`:
 * Node 22 and newer have it built in (undici's); on Node 20 pass the `ws`
 * package's `WebSocket`, which takes the same arguments.
 */
import type net from "node:net";

/** What is used of a WebSocket: the WHATWG interface (Node's global, `ws`). */
export interface WebSocketLike {
  binaryType: string;
  readonly bufferedAmount: number;
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string, init: { headers: Record<string, string>; ca?: string | Buffer }) => WebSocketLike;

export interface VncWebSocketOptions {
  /** The service, e.g. "https://desktop-7.example:7000"; its /vnc path is used (ws:// or wss://). */
  baseUrl: string;
  /** The service's bearer token. */
  token: string;
  /** The WebSocket implementation; Node's global one when unset (Node 22+). */
  WebSocket?: WebSocketConstructor | undefined;
  /** PEM CA certificate(s) to trust for wss:// (honoured by `ws`). */
  ca?: string | Buffer | undefined;
  /** Input from the viewer is dropped by the service (watch only). */
  viewOnly?: boolean | undefined;
  /** More request headers, e.g. a router's `X-Sandbox-ID` (docs/deployment.md). */
  headers?: Record<string, string> | undefined;
}

/** Pause reading the viewer while this much is queued on the WebSocket, bytes. */
const HIGH_WATER = 1024 * 1024;
/** How often a paused relay looks whether the WebSocket drained, ms (WHATWG WebSockets have no 'drain' event). */
const DRAIN_POLL_MS = 5;

/** The `/vnc` URL of `baseUrl`. */
export function vncWebSocketUrl(baseUrl: string, viewOnly = false): string {
  const u = new URL("/vnc", baseUrl);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  if (viewOnly) u.searchParams.set("view_only", "1");
  return u.toString();
}

/**
 * Relays one viewer socket over a new `/vnc` WebSocket until either side
 * closes or `signal` aborts. Rejects when the WebSocket fails or closes
 * abnormally (401: a wrong token; 1011: the desktop is unavailable).
 */
export function relayVncWebSocket(opts: VncWebSocketOptions, sock: net.Socket, signal: AbortSignal): Promise<void> {
  const Ctor = opts.WebSocket ?? (globalThis as { WebSocket?: unknown }).WebSocket;
  if (typeof Ctor !== "function") {
    return Promise.reject(new Error("this Node.js has no WebSocket (Node 22+ does): pass one as `WebSocket`, e.g. the ws package's"));
  }
  const init = { headers: { ...opts.headers, authorization: `Bearer ${opts.token}` }, ...(opts.ca ? { ca: opts.ca } : {}) };
  const ws = new (Ctor as WebSocketConstructor)(vncWebSocketUrl(opts.baseUrl, opts.viewOnly), init);
  ws.binaryType = "arraybuffer";
  sock.pause();
  return new Promise<void>((resolve, reject) => {
    let opened = false;
    const finish = (err?: Error) => {
      signal.removeEventListener("abort", abort);
      sock.end();
      if (err) reject(err);
      else resolve();
    };
    const abort = () => ws.close(1000);
    signal.addEventListener("abort", abort, { once: true });
    ws.onopen = () => {
      opened = true;
      sock.resume();
    };
    ws.onmessage = (ev) => {
      sock.write(Buffer.from(ev.data as ArrayBuffer));
    };
    ws.onerror = () => undefined;
    ws.onclose = (ev) => {
      if (signal.aborted || ev.code === 1000 || ev.code === 1005) return finish();
      finish(
        new Error(
          opened ? `the VNC WebSocket closed: ${ev.code} ${ev.reason}`.trim() : "the VNC WebSocket could not open (wrong URL or token?)",
        ),
      );
    };
    sock.on("data", (chunk: Buffer) => {
      ws.send(chunk);
      if (ws.bufferedAmount <= HIGH_WATER) return;
      // RFB from the server only answers the viewer's requests, so only this side needs pacing.
      sock.pause();
      const wait = setInterval(() => {
        if (ws.bufferedAmount > HIGH_WATER && ws.readyState === 1) return;
        clearInterval(wait);
        sock.resume();
      }, DRAIN_POLL_MS);
    });
    sock.on("close", () => ws.close(1000));
  });
}
