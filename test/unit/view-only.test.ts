/** ViewOnlyFilter (src/server/viewer/view-only.ts), byte by byte: what a view-only viewer may send. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ViewOnlyFilter } from "../../src/server/viewer/view-only.js";
import { keyEvent, pointerEvent } from "../helpers/rfb.js";

describe("ViewOnlyFilter", () => {
  /** Runs `bytes` through a filter one byte at a time; returns what passed, or the error. */
  async function filter(bytes: Buffer): Promise<{ out: Buffer; dropped: Record<string, number>; error?: string }> {
    const f = new ViewOnlyFilter();
    const out: Buffer[] = [];
    f.on("data", (b: Buffer) => out.push(b));
    const error = await new Promise<string | undefined>((resolve) => {
      f.once("error", (e) => resolve(e.message));
      f.once("end", () => resolve(undefined));
      for (const byte of bytes) f.write(Buffer.from([byte]));
      f.end();
    });
    return { out: Buffer.concat(out), dropped: f.dropped, error };
  }
  const handshake = Buffer.concat([Buffer.from("RFB 003.008\n"), Buffer.from([1, 1])]);
  const setEncodings = (...encs: number[]) => {
    const b = Buffer.alloc(4 + 4 * encs.length);
    b[0] = 2;
    b.writeUInt16BE(encs.length, 2);
    for (const [i, e] of encs.entries()) b.writeInt32BE(e, 4 + 4 * i);
    return b;
  };
  const fbRequest = Buffer.from([3, 1, 0, 0, 0, 0, 1, 0, 1, 0]);
  const fence = Buffer.from([248, 0, 0, 0, 0, 0, 0, 1, 2, 0xaa, 0xbb]);

  it("passes the handshake, pixel requests and fences; drops key, pointer, clipboard, resize, xvp and QEMU key events", async () => {
    const dropped = [
      keyEvent(true, 0x61),
      pointerEvent(1, 2, 1),
      Buffer.from([6, 0, 0, 0, 0, 0, 0, 3, 120, 121, 122]), // ClientCutText "xyz"
      Buffer.from([6, 0, 0, 0, 0xff, 0xff, 0xff, 0xfc, 0, 0, 0, 1]), // extended clipboard: length -4
      Buffer.concat([Buffer.from([251, 0, 1, 0, 1, 0, 1, 0]), Buffer.alloc(16)]), // SetDesktopSize, 1 screen
      Buffer.from([250, 0, 1, 2]), // xvp shutdown
      Buffer.from([255, 0, 0, 1, 0, 0, 0, 0x61, 0, 0, 0, 0x1e]), // QEMU extended key event
    ];
    const passed = [setEncodings(0, 7, -223), fbRequest, fence, Buffer.from([150, 1, 0, 0, 0, 0, 1, 0, 1, 0])];
    const r = await filter(Buffer.concat([handshake, passed[0], ...dropped, passed[1], passed[2], passed[3]]));
    assert.equal(r.error, undefined);
    assert.deepEqual(r.out, Buffer.concat([handshake, ...passed]));
    assert.deepEqual(r.dropped, { KeyEvent: 1, PointerEvent: 1, ClientCutText: 2, SetDesktopSize: 1, xvp: 1, QEMU: 1 });
  });

  it("frames a 7-byte PointerEvent only after the client asked for ExtendedMouseButtons", async () => {
    const extended = Buffer.from([5, 0x81, 0, 1, 0, 2, 1]);
    const r = await filter(Buffer.concat([handshake, setEncodings(-316), extended, fbRequest]));
    assert.deepEqual(r.out, Buffer.concat([handshake, setEncodings(-316), fbRequest]));
    // Without it, 0x80 is button 8 of a 6-byte event.
    const plain = await filter(Buffer.concat([handshake, Buffer.from([5, 0x80, 0, 1, 0, 2]), fbRequest]));
    assert.deepEqual(plain.out, Buffer.concat([handshake, fbRequest]));
  });

  it("passes a VNC authentication response; refuses RFB 3.3, other security types and unknown messages", async () => {
    const vncAuth = Buffer.concat([Buffer.from("RFB 003.008\n"), Buffer.from([2]), Buffer.alloc(16, 9), Buffer.from([1])]);
    assert.deepEqual((await filter(Buffer.concat([vncAuth, fbRequest]))).out, Buffer.concat([vncAuth, fbRequest]));
    assert.match((await filter(Buffer.from("RFB 003.003\n\x01"))).error!, /unsupported RFB version/);
    assert.match((await filter(Buffer.from("RFB 003.008\n\x13"))).error!, /unsupported security type 19/);
    assert.match((await filter(Buffer.concat([handshake, Buffer.from([77, 0, 0, 0])]))).error!, /unknown RFB client message type 77/);
    assert.match((await filter(Buffer.concat([handshake, Buffer.from([255, 9, 0, 0])]))).error!, /unknown QEMU submessage 9/);
  });
});
