/**
 * The Screenshot stream's rules, in memory over a FakeDesktop and in virtual
 * time (test/helpers/clock.ts): parameters are checked before any capture,
 * max_fps 0 is one frame, a still screen is not captured and a change wakes
 * the stream at once, unchanged frames are skipped unless all_frames, frames
 * are numbered, each carries the native size and the asked scaled size and
 * format, and streams that ask the same share captures.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ImageFormat, type ScreenshotRequestSchema, type ScreenshotResponse } from "../../gen/desktop/v1/desktop_pb.js";
import { FakeClock } from "../helpers/clock.js";
import { type InMemoryService, useInMemory } from "../helpers/in-memory.js";

type Request = MessageInitShape<typeof ScreenshotRequestSchema>;

/** A stream read frame by frame, virtual time moving 1 ms at a time while a frame is awaited; `at` is when each came. */
function open(service: InMemoryService, clock: FakeClock, req: Request) {
  const it = service.client.screenshot(req)[Symbol.asyncIterator]();
  return {
    async next(maxMs = 5000): Promise<ScreenshotResponse & { at: number }> {
      let done = false;
      const r = it.next().finally(() => {
        done = true;
      });
      r.catch(() => undefined);
      await clock.until(() => done, maxMs);
      const { value, done: ended } = await r;
      if (ended) throw new Error("the stream ended");
      return Object.assign(value, { at: clock.now() });
    },
    close: () => it.return?.(),
  };
}

describe("Screenshot stream, in memory", () => {
  const clock = new FakeClock();
  const service = useInMemory(undefined, { clock });

  /** The first `n` frames of a stream, then the stream is closed. */
  async function frames(req: Request, n: number): Promise<ScreenshotResponse[]> {
    const out: ScreenshotResponse[] = [];
    for await (const f of service().client.screenshot(req)) {
      out.push(f);
      if (out.length === n) break;
    }
    return out;
  }

  it("max_fps 0 sends one frame: scaled size, format, native size, sequence 1", async () => {
    const all = await frames({ scaledSize: { width: 640, height: 360 }, format: ImageFormat.JPEG }, 99);
    assert.equal(all.length, 1);
    const [f] = all;
    assert.deepEqual([f.image?.width, f.image?.height, f.image?.format], [640, 360, ImageFormat.JPEG]);
    assert.deepEqual([f.nativeSize?.width, f.nativeSize?.height, f.sequence], [1920, 1080, 1n]);
  });

  it("with DAMAGE, a still screen is not even captured; a change brings the next frame at once", async () => {
    const d = service().desktop;
    const stream = open(service(), clock, { maxFps: 20, scaledSize: { width: 16, height: 9 } });
    try {
      assert.equal((await stream.next()).sequence, 1n);
      const captures = d.argsOf("capture").length;
      let changedAt = 0;
      clock.setTimeout(() => {
        d.colour = [200, 0, 0];
        changedAt = clock.now();
        d.changes.record({ x: 0, y: 0, width: 10, height: 10 }, changedAt);
      }, 300);
      assert.equal((await stream.next()).sequence, 2n);
      assert.deepEqual(
        d.calls
          .filter((c) => c.method === "capture")
          .slice(captures)
          .map((c) => c.at - changedAt),
        [0],
        "nothing captured while the screen was still (300 ms), then at once when it changed",
      );
    } finally {
      await stream.close();
    }
  });

  it("all_frames sends every capture, one per interval, numbered in order", async () => {
    const d = service().desktop;
    const from = d.calls.length;
    // A size of its own: its first frame is not one a stream of an earlier spec took.
    const stream = open(service(), clock, { maxFps: 50, allFrames: true, scaledSize: { width: 18, height: 9 } });
    try {
      const got = [await stream.next(), await stream.next(), await stream.next(), await stream.next()];
      assert.deepEqual(
        got.map((f) => f.sequence),
        [1n, 2n, 3n, 4n],
      );
      const at = d.calls
        .slice(from)
        .filter((c) => c.method === "capture")
        .map((c) => c.at);
      assert.ok(
        at[3] - at[0] >= 60 && at.slice(1, 4).every((t, i) => t - at[i] >= 10),
        `one capture per 20 ms interval at most, never two within half of one: ${at.map((t) => t - at[0])}`,
      );
    } finally {
      await stream.close();
    }
  });

  it("holds max_fps when frames take time: a frame late by a slow capture is followed sooner, never within half an interval", async () => {
    const d = service().desktop;
    // 20 fps (50 ms); captures take 10 ms, every fifth (4, 9, 14, 19) 80 ms.
    let n = 0;
    d.captureMs = () => (n++ % 5 === 4 ? 80 : 10);
    const from = d.calls.length;
    // A size of its own: no feed, and so no frame, is shared with another spec's stream.
    const stream = open(service(), clock, { maxFps: 20, allFrames: true, scaledSize: { width: 17, height: 9 } });
    try {
      for (let i = 0; i < 21; i++) await stream.next();
      // When each capture began: frame k's is due k intervals after the first.
      const starts = d.calls
        .slice(from)
        .filter((c) => c.method === "capture")
        .map((c) => c.at - d.calls[from].at);
      // Virtual time also moves while real work is under way, so frames can
      // only be later than their schedule, never sooner.
      assert.ok(starts[20] >= 1000, `no faster than max_fps: ${starts}`);
      assert.ok(
        starts.slice(1).every((t, i) => t - starts[i] >= 25),
        `never two captures within half an interval: ${starts}`,
      );
      // After a slow capture, the next but one comes sooner than an interval.
      const after = [5, 10, 15].map((k) => starts[k + 1] - starts[k]);
      assert.ok(Math.min(...after) < 50, `lateness made up after slow captures: ${starts}`);
    } finally {
      d.captureMs = undefined;
      await stream.close();
    }
  });

  it("50 streams that ask the same share one capture and one encode per frame: 4 frames each, 4 captures", async () => {
    const d = service().desktop;
    d.colour = [10, 20, 30];
    const before = d.argsOf("capture").length;
    const req = { maxFps: 20, format: ImageFormat.JPEG, scaledSize: { width: 16, height: 9 } };
    const streams = Array.from({ length: 50 }, () => open(service(), clock, req));
    try {
      const got: ScreenshotResponse[][] = streams.map(() => []);
      const all = async () => {
        for (const [i, s] of streams.entries()) got[i].push(await s.next());
      };
      await all();
      for (const colour of [60, 120, 180]) {
        // Far apart beside the 50 ms interval: every stream takes each frame.
        await clock.tick(250);
        d.colour = [colour, 0, 0];
        d.changes.record({ x: 0, y: 0, width: 4, height: 4 }, clock.now());
        await all();
      }
      for (const s of got)
        assert.deepEqual(
          s.map((f) => f.sequence),
          [1n, 2n, 3n, 4n],
        );
      // The same frame is the same bytes in every stream.
      for (let i = 0; i < 4; i++) assert.equal(new Set(got.map((s) => Buffer.from(s[i].image!.data).toString("hex"))).size, 1);
      assert.equal(d.argsOf("capture").length - before, 4, "one capture per frame (one per stream and frame would be 200)");
    } finally {
      await Promise.all(streams.map((s) => s.close()));
    }
  });

  it("a region is captured at native pixels and must lie on the screen", async () => {
    const [f] = await frames({ region: { x: 100, y: 50, width: 200, height: 100 } }, 1);
    assert.deepEqual([f.image?.width, f.image?.height], [200, 100]);
    assert.deepEqual(service().desktop.argsOf("capture").at(-1), [
      { region: { x: 100, y: 50, width: 200, height: 100 }, includeCursor: false },
    ]);
  });

  it("keepalive_ms: a still screen sends a keep-alive (no image, no sequence) every interval; frames come as before", async () => {
    const d = service().desktop;
    const stream = open(service(), clock, { maxFps: 10, keepaliveMs: 1000, scaledSize: { width: 16, height: 9 } });
    try {
      const first = await stream.next();
      assert.equal(first.sequence, 1n);
      const k1 = await stream.next();
      const k2 = await stream.next();
      for (const k of [k1, k2]) {
        assert.deepEqual([k.keepalive, k.image, k.sequence, k.nativeSize?.width], [true, undefined, 0n, 1920]);
      }
      assert.deepEqual([k1.at - first.at, k2.at - k1.at], [1000, 1000], "one per second of silence");
      let changedAt = 0;
      clock.setTimeout(() => {
        d.colour = [1, 2, 3];
        changedAt = clock.now();
        d.changes.record({ x: 0, y: 0, width: 5, height: 5 }, changedAt);
      }, 400);
      const frame = await stream.next();
      assert.deepEqual([frame.keepalive, frame.sequence], [false, 2n]);
      assert.equal(d.calls.filter((c) => c.method === "capture").at(-1)?.at, changedAt, "the change is still captured at once");
      const k3 = await stream.next();
      assert.deepEqual([k3.keepalive, k3.at - frame.at], [true, 1000], "counted from the last message sent");
    } finally {
      await stream.close();
    }
  });

  it("without keepalive_ms a still screen sends nothing at all", async () => {
    const stream = open(service(), clock, { maxFps: 10, scaledSize: { width: 16, height: 9 } });
    try {
      await stream.next();
      await assert.rejects(stream.next(5000), /not within 5000 ms of virtual time/);
    } finally {
      await stream.close();
    }
  });

  const bad = [
    [{ maxFps: -1 }, "max_fps"],
    [{ maxFps: 1000 }, "max_fps"],
    // Below one frame per 1000 s the interval would overflow Node's timer (frames as fast as they come).
    [{ maxFps: 4e-7 }, "max_fps"],
    [{ maxFps: Number.NaN }, "max_fps"],
    [{ region: { x: 1900, y: 0, width: 100, height: 10 } }, "region"],
    [{ region: { x: 0, y: 0, width: 0, height: 10 } }, "region"],
    [{ scaledSize: { width: 5, height: 0 } }, "scaled_size.height"],
    [{ quality: 101 }, "screenshot.quality"],
    [{ maxFps: 1, keepaliveMs: 999 }, "keepalive_ms"],
    [{ maxFps: 1, keepaliveMs: 600_001 }, "keepalive_ms"],
  ] as const;
  for (const [req, field] of bad) {
    it(`INVALID_ARGUMENT naming ${field}, before any capture: ${JSON.stringify(req)}`, async () => {
      const before = service().desktop.argsOf("capture").length;
      await assert.rejects(frames(req, 1), (e) => {
        const err = ConnectError.from(e);
        return err.code === Code.InvalidArgument && err.rawMessage.startsWith(field);
      });
      assert.equal(service().desktop.argsOf("capture").length, before);
    });
  }
});

describe("Screenshot stream over compared frames, in memory", () => {
  const clock = new FakeClock();
  const service = useInMemory(undefined, { source: "frames", clock });

  it("captures every interval and sends only frames that differ", async () => {
    const d = service().desktop;
    const stream = open(service(), clock, { maxFps: 50, scaledSize: { width: 16, height: 9 } });
    try {
      const from = d.calls.length;
      const first = await stream.next();
      const captures = () => d.calls.slice(from).filter((c) => c.method === "capture");
      // The fifth capture sees a changed screen: the three before it are identical to the first.
      d.afterCapture = () => {
        if (captures().length === 5) d.colour = [0, 0, 200];
      };
      const second = await stream.next();
      d.afterCapture = undefined;
      assert.deepEqual([first.sequence, second.sequence], [1n, 2n], "the identical frames were not sent");
      const at = captures().map((c) => c.at);
      assert.equal(at.length, 5);
      // Virtual time moves while the stream's work is under way, so a late
      // capture may be followed by a sooner one: the rate holds on average.
      assert.ok(
        at[4] - at[0] >= 80 && at.slice(1).every((t, i) => t - at[i] >= 10),
        `a capture per 20 ms interval at most, never two within half of one: ${at.map((t) => t - at[0])}`,
      );
    } finally {
      await stream.close();
    }
  });
});
