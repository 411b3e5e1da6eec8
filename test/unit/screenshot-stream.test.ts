/**
 * The Screenshot stream's rules, in memory over a FakeDesktop: parameters are
 * checked before any capture, max_fps 0 is one frame, unchanged frames are
 * skipped unless all_frames, frames are numbered, and each carries the
 * native size and the asked scaled size and format.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ImageFormat, type ScreenshotRequestSchema, type ScreenshotResponse } from "../../gen/desktop/v1/desktop_pb.js";
import { useInMemory } from "../helpers/in-memory.js";

describe("Screenshot stream, in memory", () => {
  const service = useInMemory();

  /** The first `n` frames of a stream, then the stream is closed. */
  async function frames(req: MessageInitShape<typeof ScreenshotRequestSchema>, n: number, each?: (f: ScreenshotResponse) => void) {
    const out: ScreenshotResponse[] = [];
    for await (const f of service().client.screenshot(req)) {
      out.push(f);
      each?.(f);
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

  it("with DAMAGE, a still screen is not even captured; a change brings the next frame within an interval", async () => {
    const d = service().desktop;
    let changedAt = 0;
    const all = await frames({ maxFps: 20, scaledSize: { width: 16, height: 9 } }, 2, (f) => {
      if (f.sequence !== 1n) return;
      const captures = d.argsOf("capture").length;
      setTimeout(() => {
        assert.equal(d.argsOf("capture").length, captures, "nothing captured for 300 ms of a still screen");
        d.colour = [200, 0, 0];
        changedAt = performance.now();
        d.changes.record({ x: 0, y: 0, width: 10, height: 10 }, changedAt);
      }, 300);
    });
    assert.deepEqual(
      all.map((f) => f.sequence),
      [1n, 2n],
    );
    // The latency itself is measured by `npm run bench`; here only that the change woke the stream.
    const after = performance.now() - changedAt;
    assert.ok(after < 50 + 200, `the changed frame came ${after} ms after the change (interval 50 ms)`);
  });

  it("all_frames sends every capture, numbered in order", async () => {
    const all = await frames({ maxFps: 60, allFrames: true, scaledSize: { width: 16, height: 9 } }, 4);
    assert.deepEqual(
      all.map((f) => f.sequence),
      [1n, 2n, 3n, 4n],
    );
  });

  it("50 streams that ask the same share one capture and one encode per frame: 4 frames each, at most 8 captures", async () => {
    const d = service().desktop;
    d.colour = [10, 20, 30];
    const before = d.argsOf("capture").length;
    const req = { maxFps: 20, format: ImageFormat.JPEG, scaledSize: { width: 16, height: 9 } };
    let subscribed = 0;
    let ready!: () => void;
    const allFirst = new Promise<void>((r) => (ready = r));
    const streams = Array.from({ length: 50 }, () =>
      frames(req, 4, (f) => {
        if (f.sequence === 1n && ++subscribed === 50) ready();
      }),
    );
    await allFirst;
    for (const colour of [60, 120, 180]) {
      // Far apart beside the 50 ms interval: every stream takes each frame.
      await new Promise((r) => setTimeout(r, 250));
      d.colour = [colour, 0, 0];
      d.changes.record({ x: 0, y: 0, width: 4, height: 4 }, performance.now());
    }
    const got = await Promise.all(streams);
    for (const s of got)
      assert.deepEqual(
        s.map((f) => f.sequence),
        [1n, 2n, 3n, 4n],
      );
    // The same frame is the same bytes in every stream.
    for (let i = 0; i < 4; i++) assert.equal(new Set(got.map((s) => Buffer.from(s[i].image!.data).toString("hex"))).size, 1);
    const captures = d.argsOf("capture").length - before;
    assert.ok(captures <= 8, `${captures} captures for 50 streams of 4 frames (one per stream and frame would be 200)`);
  });

  it("a region is captured at native pixels and must lie on the screen", async () => {
    const [f] = await frames({ region: { x: 100, y: 50, width: 200, height: 100 } }, 1);
    assert.deepEqual([f.image?.width, f.image?.height], [200, 100]);
    assert.deepEqual(service().desktop.argsOf("capture").at(-1), [
      { region: { x: 100, y: 50, width: 200, height: 100 }, includeCursor: false },
    ]);
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
  const service = useInMemory(undefined, { source: "frames" });

  it("captures every interval and sends only frames that differ", async () => {
    const d = service().desktop;
    let capturesAtFirst = 0;
    const sequences: bigint[] = [];
    for await (const f of service().client.screenshot({ maxFps: 60, scaledSize: { width: 16, height: 9 } })) {
      sequences.push(f.sequence);
      if (f.sequence === 2n) break;
      capturesAtFirst = d.argsOf("capture").length;
      const change = setInterval(() => {
        if (d.argsOf("capture").length < capturesAtFirst + 3) return;
        d.colour = [0, 0, 200];
        clearInterval(change);
      }, 5);
    }
    assert.deepEqual(sequences, [1n, 2n]);
    assert.ok(d.argsOf("capture").length >= capturesAtFirst + 3, "identical frames were captured and skipped");
  });
});
