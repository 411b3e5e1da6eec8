/**
 * The response writer (src/server/transport/response-writer.ts): a long
 * stream keeps no chunk it has written (a race against one long-lived
 * promise kept them all: the soak's RSS grew by the bytes relayed, 1 GiB per
 * 30 s), waits for 'drain', and a response the client closes ends the
 * writing and closes the handler's body.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";
import { writeResponse } from "../../src/server/transport/response-writer.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** A Node response as the writer uses it: a Writable that asks for 'drain' every other chunk. */
class FakeResponse extends Writable {
  headersSent = false;
  written = 0;
  constructor() {
    super({ highWaterMark: 1 });
  }
  writeHead(): this {
    this.headersSent = true;
    return this;
  }
  addTrailers(): void {}
  override _write(_chunk: Buffer, _enc: string, done: () => void): void {
    this.written++;
    setImmediate(done);
  }
}

describe("response writer", () => {
  it("a long stream keeps no chunk it has written", async () => {
    const refs: WeakRef<Uint8Array>[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* body() {
      for (let i = 0; i < 100; i++) {
        const chunk = new Uint8Array(256 * 1024);
        refs.push(new WeakRef(chunk));
        yield chunk;
      }
      await gate;
    }
    const res = new FakeResponse();
    const writing = writeResponse({ status: 200, header: new Headers(), body: body() } as UniversalServerResponse, res as never);
    while (res.written < 100) await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
    const kept = refs.slice(0, 90).filter((r) => r.deref() !== undefined).length;
    release();
    await writing;
    assert.equal(kept, 0, `${kept} of the first 90 written chunks are still held`);
  });

  it("a response the client closes ends the writing and closes the handler's body", async () => {
    let closed = false;
    async function* body() {
      try {
        for (;;) yield new Uint8Array(1024);
      } finally {
        closed = true;
      }
    }
    const res = new FakeResponse();
    const writing = writeResponse({ status: 200, header: new Headers(), body: body() } as UniversalServerResponse, res as never);
    while (res.written < 10) await new Promise((r) => setImmediate(r));
    res.destroy();
    await assert.rejects(writing, /the client closed the stream/);
    while (!closed) await new Promise((r) => setImmediate(r));
  });
});
