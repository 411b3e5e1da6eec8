/**
 * Screenshots show the real framebuffer: windows of known colours appear at the
 * right pixels in native, scaled, region and zoomed frames, in every format;
 * the stream paces, numbers and de-duplicates frames.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { type Image, ImageFormat } from "../gen/desktop/v1/desktop_pb.js";
import { isNear, type Rgb, rgbAt } from "./helpers/pixels.js";
import { useTestServer } from "./helpers/server.js";
import { TestWindows } from "./helpers/xwindow.js";

const RED = 0xff0000;
const BLUE = 0x0000ff;

/** RGB of one pixel of an image message. */
const pixel = (img: Image, x: number, y: number) => rgbAt(img.data, x, y);

function near(actual: Rgb, rgb: number): void {
  assert.ok(isNear(actual, rgb), `pixel ${actual} is not near ${rgb.toString(16).padStart(6, "0")}`);
}

describe("Screenshots of a real desktop", () => {
  const t = useTestServer();
  let w: TestWindows;
  let changing: number;

  before(async () => {
    const ep = t().driver().endpoint;
    w = await TestWindows.open(ep.display, ep.cookie);
    await w.window(0, 0, 1920, 1080, 0x000000);
    await w.window(300, 150, 600, 300, RED);
    await w.window(1200, 600, 300, 300, BLUE);
    changing = await w.window(1700, 900, 100, 100, 0x00ff00);
  });
  after(async () => {
    w.close();
  });

  for (const [name, format] of [
    ["PNG", ImageFormat.PNG],
    ["JPEG", ImageFormat.JPEG],
    ["WebP", ImageFormat.WEBP],
  ] as const) {
    it(`${name}: known colours at native and at scaled pixels`, async () => {
      const native = await t().grpc.action({ action: { case: "screenshot", value: { format, quality: 90 } } });
      assert.equal(native.output, "screenshot");
      const img = native.screenshot!;
      assert.deepEqual([img.format, img.width, img.height], [format, 1920, 1080]);
      near(await pixel(img, 600, 300), RED);
      near(await pixel(img, 1350, 750), BLUE);
      near(await pixel(img, 100, 800), 0x000000);

      const small = await t().grpc.action({
        scaledSize: { width: 1280, height: 720 },
        action: { case: "screenshot", value: { format, quality: 90 } },
      });
      const s = small.screenshot!;
      assert.deepEqual([s.width, s.height], [1280, 720]);
      near(await pixel(s, 400, 200), RED); // native (600,300)
      near(await pixel(s, 900, 500), BLUE); // native (1350,750)
    });
  }

  it("the Screenshot stream's one frame (max_fps 0) says its sizes, sequence and capture time", async () => {
    const before = Date.now();
    const frames = [];
    for await (const f of t().grpc.screenshot({ scaledSize: { width: 640, height: 360 }, format: ImageFormat.JPEG })) frames.push(f);
    assert.equal(frames.length, 1);
    const [f] = frames;
    assert.deepEqual([f.image!.width, f.image!.height, f.image!.format], [640, 360, ImageFormat.JPEG]);
    assert.deepEqual([f.nativeSize!.width, f.nativeSize!.height], [1920, 1080]);
    assert.equal(f.sequence, 1n);
    const at = Number(f.capturedAt!.seconds) * 1000 + f.capturedAt!.nanos / 1e6;
    assert.ok(at >= before - 1000 && at <= Date.now() + 1000);
    near(await pixel(f.image!, 200, 100), RED);
  });

  it("a region is captured in native pixels", async () => {
    for await (const f of t().grpc.screenshot({ region: { x: 250, y: 100, width: 100, height: 100 } })) {
      assert.deepEqual([f.image!.width, f.image!.height], [100, 100]);
      near(await pixel(f.image!, 10, 10), 0x000000); // (260,110): outside the red window
      near(await pixel(f.image!, 90, 90), RED); // (340,190): inside it
    }
  });

  it("zoom returns a declared-space region at native resolution", async () => {
    const res = await t().grpc.action({
      scaledSize: { width: 1280, height: 720 },
      action: { case: "zoom", value: { region: { x: 180, y: 80, width: 40, height: 40 } } },
    });
    const img = res.screenshot!;
    assert.deepEqual([img.width, img.height], [60, 60]);
    near(await pixel(img, 5, 5), 0x000000); // native (270,120)
    near(await pixel(img, 55, 55), RED); // native (325,175)
  });

  it("the pointer is drawn in only when asked", async () => {
    await t().grpc.action({ action: { case: "mouseMove", value: { coordinate: { x: 600, y: 300 } } } });
    const region = { x: 560, y: 260, width: 80, height: 80 };
    const grab = async (includeCursor: boolean) => {
      for await (const f of t().grpc.screenshot({ region, includeCursor })) return await sharp(Buffer.from(f.image!.data)).raw().toBuffer();
      throw new Error("no frame");
    };
    const without = await grab(false);
    const withCursor = await grab(true);
    assert.ok(
      without.every((v, i) => (i % 3 !== 0 ? v < 30 : v > 230)),
      "plain red without the pointer",
    );
    assert.ok(!withCursor.equals(without), "the pointer changes pixels");
  });

  it("capture_after returns a screenshot after the action in the same round trip", async () => {
    const res = await t().grpc.action({
      scaledSize: { width: 640, height: 360 },
      captureAfter: { settleMs: 10, format: ImageFormat.WEBP },
      action: { case: "mouseMove", value: { coordinate: { x: 1, y: 1 } } },
    });
    assert.equal(res.output, "mouse_move action performed");
    assert.deepEqual([res.screenshot!.width, res.screenshot!.height, res.screenshot!.format], [640, 360, ImageFormat.WEBP]);
  });

  it("wait waits, then returns a screenshot", async () => {
    const start = Date.now();
    const res = await t().grpc.action({ action: { case: "wait", value: { durationMs: 200 } } });
    assert.ok(Date.now() - start >= 190);
    assert.equal(res.screenshot!.width, 1920);
  });

  it("a stream over a changing screen yields increasing sequence numbers and skips unchanged frames", async () => {
    const colours = [0x00ff00, 0xffff00, 0x00ffff, 0xff00ff];
    const seen: bigint[] = [];
    const ac = new AbortController();
    let i = 0;
    const stream = t().grpc.screenshot(
      { maxFps: 20, format: ImageFormat.JPEG, scaledSize: { width: 320, height: 180 } },
      { signal: ac.signal },
    );
    const timer = setInterval(() => void w.recolor(changing, colours[++i % colours.length]), 150);
    const start = Date.now();
    try {
      for await (const f of stream) {
        seen.push(f.sequence);
        if (Date.now() - start > 1200) break;
      }
    } finally {
      clearInterval(timer);
      ac.abort();
    }
    assert.deepEqual(
      seen,
      seen.map((_, k) => BigInt(k + 1)),
      "1, 2, 3, ...",
    );
    // ~8 colour changes in 1.2 s at 20 fps (24 ticks): changes are sent, repeats skipped.
    assert.ok(seen.length >= 4 && seen.length <= 14, `got ${seen.length} frames`);
  });

  it("an unchanged screen sends one frame, or every frame with all_frames", async () => {
    const count = async (allFrames: boolean) => {
      let n = 0;
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 600);
      try {
        for await (const _ of t().grpc.screenshot(
          { maxFps: 20, allFrames, format: ImageFormat.JPEG, region: { x: 0, y: 0, width: 200, height: 200 } },
          { signal: ac.signal },
        ))
          n++;
      } catch {
        // cancelled
      }
      return n;
    };
    assert.equal(await count(false), 1);
    const all = await count(true);
    assert.ok(all >= 6, `all_frames sent ${all}`);
  });

  it("after a change on a still screen, the next frame is captured within one frame interval", async () => {
    const ac = new AbortController();
    const gaps: number[] = [];
    let changedAt = 0;
    // Colours no other spec paints, so each recolour changes pixels.
    const colours = [0x123456, 0x654321, 0x224466];
    try {
      let n = 0;
      for await (const f of t().grpc.screenshot(
        { maxFps: 10, region: { x: 1600, y: 800, width: 300, height: 250 } },
        { signal: ac.signal },
      )) {
        if (n > 0) gaps.push(Number(f.capturedAt!.seconds) * 1000 + f.capturedAt!.nanos / 1e6 - changedAt);
        if (++n > colours.length) break;
        // Still for 400 ms (4 intervals), then one change.
        await new Promise((r) => setTimeout(r, 400));
        changedAt = Date.now();
        await w.recolor(changing, colours[n - 1]);
      }
    } finally {
      ac.abort();
    }
    assert.equal(gaps.length, colours.length);
    for (const gap of gaps) assert.ok(gap >= 0 && gap < 100 + 50, `captured ${gaps.join(", ")} ms after the changes (interval 100 ms)`);
  });

  it("a slow reader gets fresh frames, never a queue of stale ones", async () => {
    const ac = new AbortController();
    const lags: number[] = [];
    let n = 0;
    const timer = setInterval(() => void w.recolor(changing, n % 2 ? RED : BLUE), 20);
    try {
      for await (const f of t().grpc.screenshot({ maxFps: 60, allFrames: true }, { signal: ac.signal })) {
        const at = Number(f.capturedAt!.seconds) * 1000 + f.capturedAt!.nanos / 1e6;
        lags.push(Date.now() - at);
        await new Promise((r) => setTimeout(r, 300)); // a slow consumer
        if (++n === 5) break;
      }
    } finally {
      clearInterval(timer);
      ac.abort();
    }
    // Frames sitting in a queue behind a 300 ms reader would age by 300 ms each.
    const last = lags[lags.length - 1];
    assert.ok(last < 1500, `frame lag ${lags.join(",")} ms`);
  });
});
