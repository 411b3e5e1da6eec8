/**
 * View-only enforcement on the client -> server half of an RFB connection
 * (RFC 6143 and the community extensions noVNC uses): the handshake and the
 * messages that only ask for pixels pass; key, pointer, clipboard, desktop
 * resize and XVP (power) messages are dropped. Anything the filter cannot
 * frame (an unknown message type, a security type other than None or VNC
 * authentication, RFB 3.3) ends the connection, since skipping bytes of
 * unknown length would desynchronise the stream.
 *
 * Done here rather than trusting the page's viewOnly flag, so a view-only
 * connection cannot send input whatever the browser runs.
 */
import { Transform, type TransformCallback } from "node:stream";

/** RFB pseudo-encoding ExtendedMouseButtons: PointerEvent may then be 7 bytes. */
const EXTENDED_MOUSE_BUTTONS = -316;

type Verdict = "pass" | "drop";
/** A message's total length once `b` holds enough of it, else undefined (need more bytes). */
type Framer = (b: Buffer, extendedPointer: boolean) => number | undefined;

const at =
  (n: number, len: (b: Buffer) => number): Framer =>
  (b) =>
    b.length >= n ? len(b) : undefined;
const fixed =
  (n: number): Framer =>
  () =>
    n;

/** Client-to-server message types by number: how long, and whether a view-only viewer may send it. */
const MESSAGES: Record<number, { name: string; verdict: Verdict; length: Framer }> = {
  0: { name: "SetPixelFormat", verdict: "pass", length: fixed(20) },
  2: { name: "SetEncodings", verdict: "pass", length: at(4, (b) => 4 + 4 * b.readUInt16BE(2)) },
  3: { name: "FramebufferUpdateRequest", verdict: "pass", length: fixed(10) },
  4: { name: "KeyEvent", verdict: "drop", length: fixed(8) },
  5: { name: "PointerEvent", verdict: "drop", length: (b, ext) => (b.length < 2 ? undefined : ext && b[1] & 0x80 ? 7 : 6) },
  // Extended clipboard messages carry a negative length.
  6: { name: "ClientCutText", verdict: "drop", length: at(8, (b) => 8 + Math.abs(b.readInt32BE(4))) },
  150: { name: "EnableContinuousUpdates", verdict: "pass", length: fixed(10) },
  // Fences must pass: the server waits for the replies to pace its updates.
  248: { name: "ClientFence", verdict: "pass", length: at(9, (b) => 9 + b[8]) },
  250: { name: "xvp", verdict: "drop", length: fixed(4) },
  251: { name: "SetDesktopSize", verdict: "drop", length: at(7, (b) => 8 + 16 * b[6]) },
  255: { name: "QEMU", verdict: "drop", length: at(4, (b) => (b[1] === 0 ? 12 : b[1] === 1 ? (b.readUInt16BE(2) === 2 ? 10 : 4) : -1)) },
};

/** Bytes the client sends before its first message, by security type (RFB 3.7/3.8): type byte, response, ClientInit. */
const HANDSHAKE_AFTER_VERSION: Record<number, number> = { 1: 1 + 1, 2: 1 + 16 + 1 };

/**
 * A Transform for the viewer -> VNC server direction that drops input
 * messages. Fails (destroying the stream) on what it cannot frame; the error
 * message says why.
 */
export class ViewOnlyFilter extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private versionSeen = false;
  /** Handshake bytes still to pass once the security type is known. */
  private handshakeLeft: number | undefined;
  /** Bytes still to drop of a dropped message (a large ClientCutText is skipped, never buffered). */
  private skipLeft = 0;
  private extendedPointer = false;
  /** Messages dropped so far, by name (for logs and tests). */
  readonly dropped: Record<string, number> = {};

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    try {
      this.drain();
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  private drain(): void {
    while (this.pending.length > 0) {
      const n = this.skipLeft > 0 ? this.skip() : this.handshakeLeft === 0 ? this.message() : this.handshake();
      if (n === undefined) return;
      this.pending = this.pending.subarray(n);
    }
  }

  /** Passes the ProtocolVersion, security choice/response and ClientInit; returns bytes consumed. */
  private handshake(): number | undefined {
    const b = this.pending;
    if (!this.versionSeen) {
      if (b.length < 12) return undefined;
      const version = b.subarray(0, 12).toString("latin1");
      if (!/^RFB 003\.00[78]\n$/.test(version))
        throw new Error(`view-only: unsupported RFB version ${JSON.stringify(version)} (3.7 or 3.8 needed)`);
      this.versionSeen = true;
      this.push(b.subarray(0, 12));
      return 12;
    }
    if (this.handshakeLeft === undefined) {
      // The client's choice among the server's security types.
      const after = HANDSHAKE_AFTER_VERSION[b[0]];
      if (after === undefined) throw new Error(`view-only: unsupported security type ${b[0]} (None or VNC authentication only)`);
      this.handshakeLeft = after;
    }
    const n = Math.min(this.handshakeLeft, b.length);
    this.handshakeLeft -= n;
    this.push(b.subarray(0, n));
    return n;
  }

  /** Frames one client message, passes or drops it; returns its length, or undefined when incomplete. */
  private message(): number | undefined {
    const b = this.pending;
    const type = b[0];
    const spec = MESSAGES[type];
    if (!spec) throw new Error(`view-only: unknown RFB client message type ${type}`);
    const len = spec.length(b, this.extendedPointer);
    if (len === undefined) return undefined;
    if (len < 0) throw new Error(`view-only: unknown ${spec.name} submessage ${b[1]}`);
    if (spec.verdict === "drop") {
      this.dropped[spec.name] = (this.dropped[spec.name] ?? 0) + 1;
      this.skipLeft = len;
      return this.skip();
    }
    if (b.length < len) return undefined;
    if (type === 2) this.extendedPointer = encodings(b.subarray(0, len)).includes(EXTENDED_MOUSE_BUTTONS);
    this.push(b.subarray(0, len));
    return len;
  }

  private skip(): number {
    const n = Math.min(this.skipLeft, this.pending.length);
    this.skipLeft -= n;
    return n;
  }
}

function encodings(msg: Buffer): number[] {
  const out: number[] = [];
  for (let off = 4; off + 4 <= msg.length; off += 4) out.push(msg.readInt32BE(off));
  return out;
}
