/**
 * HTTP/2 flow-control windows sized for bulk streams, on both ends of every
 * connection the project makes (RFC 9113 section 5.2). A receiver grants the
 * sender a window of bytes and widens it as it reads; Node's default is the
 * protocol's 64 KiB per stream and per connection, so a Vnc stream or a
 * download stops after every 64 KiB until a WINDOW_UPDATE comes back: on
 * loopback both ends sat mostly idle at 7 % of the VNC server's rate.
 *
 * The windows bound what a peer may send before it is read: at most
 * STREAM_WINDOW_BYTES per stream and CONNECTION_WINDOW_BYTES per connection
 * wait in memory for a slow reader.
 */
import type http2 from "node:http2";
import { Http2SessionManager } from "@connectrpc/connect-node";

/** Receive window per stream (SETTINGS_INITIAL_WINDOW_SIZE), bytes. */
export const STREAM_WINDOW_BYTES = 4 * 1024 * 1024;
/** Receive window per connection (WINDOW_UPDATE on stream 0), bytes. */
export const CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;
/** Largest DATA frame a peer may send (SETTINGS_MAX_FRAME_SIZE), bytes; fewer, larger frames to parse. */
export const MAX_FRAME_BYTES = 1024 * 1024;

/** The SETTINGS a receiving end announces. */
export const BULK_SETTINGS: http2.Settings = { initialWindowSize: STREAM_WINDOW_BYTES, maxFrameSize: MAX_FRAME_BYTES };

/** Widens `session`'s connection-level receive window (no SETTINGS field exists for it). */
export function widenConnectionWindow(session: http2.Http2Session): void {
  // Before the handshake the window cannot be set yet; Node throws ERR_HTTP2_INVALID_SESSION after close.
  if (session.destroyed || session.closed) return;
  if (session.connecting) session.once("connect", () => widenConnectionWindow(session));
  else session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
}

/**
 * connect-node's session manager, with BULK_SETTINGS announced and each new
 * session's connection window widened before its first stream's data flows.
 */
export class BulkHttp2SessionManager extends Http2SessionManager {
  private readonly widened = new WeakSet<http2.Http2Session>();

  constructor(url: string, nodeOptions: http2.ClientSessionOptions | http2.SecureClientSessionOptions = {}) {
    super(url, undefined, { ...nodeOptions, settings: { ...BULK_SETTINGS, ...nodeOptions.settings } });
  }

  override async request(...args: Parameters<Http2SessionManager["request"]>): Promise<http2.ClientHttp2Stream> {
    const stream = await super.request(...args);
    const session = stream.session;
    if (session && !this.widened.has(session)) {
      this.widened.add(session);
      widenConnectionWindow(session);
    }
    return stream;
  }
}
