/**
 * The Vnc RPC carries a real RFB session: handshake, ServerInit with the
 * desktop's size, and a framebuffer update, on two streams at once.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type VncRequest, VncRequestSchema } from "../gen/desktop/v1/desktop_pb.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

/** A minimal RFB 3.8 client over one Vnc call. */
class RfbOverRpc {
  private buf = Buffer.alloc(0);
  private waiting?: () => void;
  private ended = false;
  private readonly outbox: Buffer[] = [];
  private wake?: () => void;
  private closed = false;
  readonly done: Promise<unknown>;

  constructor(t: TestServer, signal?: AbortSignal) {
    const self = this;
    async function* requests(): AsyncGenerator<VncRequest> {
      for (;;) {
        while (self.outbox.length) yield create(VncRequestSchema, { data: self.outbox.shift()! });
        if (self.closed) return;
        await new Promise<void>((r) => (self.wake = r));
      }
    }
    this.done = (async () => {
      try {
        for await (const res of t.grpc.vnc(requests(), { signal })) {
          this.buf = Buffer.concat([this.buf, res.data]);
          this.waiting?.();
        }
      } finally {
        this.ended = true;
        this.waiting?.();
      }
    })();
  }

  send(b: Buffer): void {
    this.outbox.push(b);
    this.wake?.();
  }

  /** Half-closes the client side. */
  end(): void {
    this.closed = true;
    this.wake?.();
  }

  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.ended) throw new Error(`stream ended with ${this.buf.length}/${n} bytes`);
      await new Promise<void>((r) => (this.waiting = r));
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Version, security None, ClientInit(shared) -> ServerInit fields. */
  async handshake(): Promise<{ version: string; width: number; height: number; name: string }> {
    const version = (await this.read(12)).toString();
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

  /** FramebufferUpdateRequest for a region; returns the update's rectangle count. */
  async update(w: number, h: number): Promise<number> {
    const req = Buffer.alloc(10);
    req.writeUInt8(3, 0); // FramebufferUpdateRequest
    req.writeUInt8(0, 1); // not incremental
    req.writeUInt16BE(w, 6);
    req.writeUInt16BE(h, 8);
    this.send(req);
    const hdr = await this.read(4);
    assert.equal(hdr[0], 0, "FramebufferUpdate message");
    return hdr.readUInt16BE(2);
  }
}

describe("Vnc RPC", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it("carries an RFB handshake and a framebuffer update, on two streams at once", async () => {
    const a = new RfbOverRpc(t);
    const b = new RfbOverRpc(t);
    const [ia, ib] = await Promise.all([a.handshake(), b.handshake()]);
    for (const init of [ia, ib]) {
      assert.equal(init.version, "RFB 003.008\n");
      assert.deepEqual([init.width, init.height], [1920, 1080]);
    }
    const [ra, rb] = await Promise.all([a.update(64, 64), b.update(1920, 1080)]);
    assert.ok(ra >= 1 && rb >= 1);
    a.end();
    b.end();
    await Promise.all([a.done, b.done]);
  });

  it("the client closing its side ends the call", async () => {
    const c = new RfbOverRpc(t);
    await c.handshake();
    c.end();
    await c.done; // resolves: the server ended the stream
  });

  it("cancellation ends the call with CANCELED", async () => {
    const ac = new AbortController();
    const c = new RfbOverRpc(t, ac.signal);
    await c.handshake();
    ac.abort();
    await assert.rejects(c.done, (e: unknown) => ConnectError.from(e).code === Code.Canceled);
  });
});
