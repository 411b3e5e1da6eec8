/**
 * A minimal RFB 3.8 client (RFC 6143) for specs, over any byte transport:
 * one `Vnc` call of the generated client, or one `/vnc` WebSocket. Enough to
 * shake hands (security None), ask for framebuffer updates and send input.
 */

import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { create } from "@bufbuild/protobuf";
import { WebSocket } from "ws";
import { type VncRequest, VncRequestSchema } from "../../gen/desktop/v1/desktop_pb.js";
import type { DesktopClient } from "../../src/client/client.js";

/** RFB PointerEvent: pointer at (x, y) with `mask` buttons down (bit 0 = left). */
export const pointerEvent = (x: number, y: number, mask = 0) => Buffer.from([5, mask, x >> 8, x & 255, y >> 8, y & 255]);

/** RFB KeyEvent for an X keysym. */
export const keyEvent = (down: boolean, keysym: number) =>
  Buffer.from([4, down ? 1 : 0, 0, 0, keysym >> 24, (keysym >> 16) & 255, (keysym >> 8) & 255, keysym & 255]);

/** RFB FramebufferUpdateRequest for the region (0, 0, w, h). */
export const updateRequest = (w: number, h: number, incremental = false) =>
  Buffer.from([3, incremental ? 1 : 0, 0, 0, 0, 0, w >> 8, w & 255, h >> 8, h & 255]);

export interface ServerInit {
  version: string;
  width: number;
  height: number;
  name: string;
}

export class RfbClient {
  private buf = Buffer.alloc(0);
  private waiter?: () => void;
  private ended = false;
  /** Settles when the transport ends: with the WebSocket's close code, or rejected with the call's error. */
  readonly done: Promise<number | undefined>;

  private constructor(
    private readonly transport: { send(b: Buffer): void; end(): void },
    run: (receive: (b: Uint8Array) => void) => Promise<number | undefined>,
  ) {
    this.done = run((b) => {
      this.buf = Buffer.concat([this.buf, b]);
      this.waiter?.();
    }).finally(() => {
      this.ended = true;
      this.waiter?.();
    });
    // A spec that only looks at the bytes need not look at the end.
    this.done.catch(() => undefined);
  }

  /** An RFB connection over one Vnc call; `signal` cancels the call. */
  static overVnc(client: DesktopClient, signal?: AbortSignal): RfbClient {
    const outbox: Buffer[] = [];
    let closed = false;
    let wake = () => {};
    async function* requests(): AsyncGenerator<VncRequest> {
      for (;;) {
        while (outbox.length) yield create(VncRequestSchema, { data: outbox.shift() });
        if (closed) return;
        await new Promise<void>((r) => (wake = r));
      }
    }
    const transport = {
      send: (b: Buffer) => {
        outbox.push(b);
        wake();
      },
      end: () => {
        closed = true;
        wake();
      },
    };
    return new RfbClient(transport, async (receive) => {
      for await (const res of client.vnc(requests(), { signal })) receive(res.data);
      return undefined;
    });
  }

  /** An RFB connection over a `/vnc` WebSocket, once it is open (nothing said yet). */
  static async overWebSocket(url: string): Promise<RfbClient> {
    const ws = new WebSocket(url);
    // Kept from the start: the greeting can come in the same packet as the upgrade response, before "open" is seen.
    const early: Buffer[] = [];
    let receive: (m: Buffer) => void = (m) => early.push(m);
    ws.on("message", (m: Buffer) => receive(m));
    const closed = new Promise<number>((resolve) => ws.once("close", resolve));
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const transport = { send: (b: Buffer) => ws.send(b), end: () => ws.close() };
    return new RfbClient(transport, (deliver) => {
      for (const m of early) deliver(m);
      receive = deliver;
      return closed;
    });
  }

  /** An RFB connection over plain TCP (a forwarded port, as a stock viewer connects). */
  static async overTcp(host: string, port: number): Promise<RfbClient> {
    const sock = net.connect(port, host);
    await once(sock, "connect");
    const transport = { send: (b: Buffer) => void sock.write(b), end: () => void sock.end() };
    return new RfbClient(transport, async (receive) => {
      for await (const chunk of sock) receive(chunk as Buffer);
      return undefined;
    });
  }

  send(b: Buffer): void {
    this.transport.send(b);
  }

  /** Ends our side (the Vnc call's half-close, or closing the WebSocket). */
  end(): void {
    this.transport.end();
  }

  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.ended) throw new Error(`stream ended with ${this.buf.length}/${n} bytes`);
      await new Promise<void>((r) => (this.waiter = r));
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** ProtocolVersion 3.8, security None, ClientInit (shared): the ServerInit's fields. */
  async handshake(): Promise<ServerInit> {
    const version = (await this.read(12)).toString("latin1");
    this.send(Buffer.from("RFB 003.008\n"));
    const [count] = await this.read(1);
    const types = [...(await this.read(count))];
    assert.ok(types.includes(1), `security types ${types} include None`);
    this.send(Buffer.from([1]));
    assert.equal((await this.read(4)).readUInt32BE(0), 0, "SecurityResult OK");
    this.send(Buffer.from([1])); // ClientInit: shared
    const init = await this.read(24);
    const name = (await this.read(init.readUInt32BE(20))).toString();
    return { version, width: init.readUInt16BE(0), height: init.readUInt16BE(2), name };
  }

  /** A FramebufferUpdateRequest for (0, 0, w, h); resolves with the update's rectangle count (the rectangles stay unread). */
  async update(w: number, h: number): Promise<number> {
    this.send(updateRequest(w, h));
    const header = await this.read(4);
    assert.equal(header[0], 0, "FramebufferUpdate message");
    return header.readUInt16BE(2);
  }

  /**
   * Asks for a 1x1 update and waits for it: the VNC server handles one
   * connection's messages in order, so whatever was sent before has been
   * acted on. Anything unread is dropped first.
   */
  async barrier(): Promise<void> {
    this.buf = Buffer.alloc(0);
    this.send(updateRequest(1, 1));
    assert.equal((await this.read(1))[0], 0, "FramebufferUpdate");
  }
}
