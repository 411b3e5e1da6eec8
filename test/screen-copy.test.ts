/**
 * The built-in backend's screenshots come from a copy of the screen kept by
 * X DAMAGE (src/desktop/x11/screen-mirror.ts), not from a GetImage per
 * frame. Whatever a program draws (windows mapped, moved, unmapped,
 * destroyed, repainted, images put), a screenshot taken after the drawing
 * holds exactly the pixels a GetImage of the whole screen reads then, at
 * native size and scaled; a frame's version changes exactly when pixels did.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { XClient } from "x11";
import { loadSharp } from "../src/desktop/image.js";
import type { SessionDriver } from "../src/desktop/session.js";
import { bgrxToRgb } from "../src/desktop/x11/bgrx.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { connectX } from "./helpers/xwindow.js";

const W = 640;
const H = 480;
const SCALED = { width: 427, height: 320 };

/** Core requests src/types/x11.d.ts leaves out: desktopd itself never draws. */
type Drawing = XClient & {
  CreateGC(gc: number, drawable: number, values: object): void;
  PutImage(
    format: number,
    drawable: number,
    gc: number,
    w: number,
    h: number,
    x: number,
    y: number,
    pad: number,
    depth: number,
    data: Buffer,
  ): void;
  ConfigureWindow(wid: number, values: { x?: number; y?: number; stackMode?: number }): void;
  UnmapWindow(wid: number): void;
};

/** A plain X client of its own that draws, and reads the screen the slow way. */
class Painter {
  private constructor(
    readonly X: Drawing,
    readonly root: number,
    private readonly gc: number,
  ) {}

  static async open(display: string, cookie: string): Promise<Painter> {
    const d = await connectX(display, cookie);
    const root = d.screen[0].root;
    const X = d.client as Drawing;
    const gc = X.AllocID();
    X.CreateGC(gc, root, {});
    return new Painter(X, root, gc);
  }

  window(x: number, y: number, w: number, h: number, rgb: number): number {
    const wid = this.X.AllocID();
    this.X.CreateWindow(wid, this.root, x, y, w, h, 0, 0, 0, 0, { backgroundPixel: rgb, overrideRedirect: true });
    this.X.MapWindow(wid);
    return wid;
  }

  /** Noise (seeded) put into `wid` at (x, y). */
  noise(wid: number, x: number, y: number, w: number, h: number, seed: number): void {
    const data = Buffer.alloc(w * h * 4);
    let s = seed || 1;
    for (let i = 0; i < data.length; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      data[i] = s >>> 24;
    }
    this.X.PutImage(2, wid, this.gc, w, h, x, y, 0, 24, data);
  }

  async sync(): Promise<void> {
    await new Promise((resolve, reject) => this.X.GetInputFocus((err) => (err ? reject(err) : resolve(undefined))));
  }

  /** The whole screen as packed RGB, by a core GetImage. */
  async screen(): Promise<Buffer> {
    const img = await new Promise<{ data: Buffer }>((resolve, reject) =>
      this.X.GetImage(2, this.root, 0, 0, W, H, 0xffffffff, (err, v) => (err ? reject(err) : resolve(v as { data: Buffer }))),
    );
    return bgrxToRgb(img.data, W * H);
  }

  close(): void {
    this.X.terminate();
  }
}

describe("Screenshots from the screen copy (built-in backend)", () => {
  let t: TestServer<SessionDriver>;
  let p: Painter;
  before(async () => {
    t = (await startTestServer({ geometry: { width: W, height: H } })) as TestServer<SessionDriver>;
    const { display, cookie } = t.x11();
    p = await Painter.open(display, cookie);
  });
  after(async () => {
    p?.close();
    await t?.close();
  });

  it("hold what a GetImage reads after every kind of drawing, native and scaled, with versions that change with the pixels", async () => {
    const session = await t.host.session();
    const sharp = await loadSharp();
    const wins: number[] = [];
    // Each step draws, waits for the server to have done it, then compares.
    const steps: [string, () => void][] = [
      ["map a window", () => wins.push(p.window(20, 30, 200, 150, 0xff0000))],
      ["put noise into it", () => p.noise(wins[0], 10, 10, 120, 90, 7)],
      ["map a second, overlapping", () => wins.push(p.window(150, 100, 300, 200, 0x00ff00))],
      ["noise across its whole width", () => p.noise(wins[1], 0, 50, 300, 40, 11)],
      ["move the first over the second", () => p.X.ConfigureWindow(wins[0], { x: 300, y: 250, stackMode: 0 })],
      ["repaint the second", () => p.X.ClearArea(wins[1], 0, 0, 0, 0, 0)],
      ["unmap the first", () => p.X.UnmapWindow(wins[0])],
      [
        "map it again at the edge",
        () => {
          p.X.ConfigureWindow(wins[0], { x: W - 50, y: H - 40 });
          p.X.MapWindow(wins[0]);
        },
      ],
      ["destroy the second", () => p.X.DestroyWindow(wins[1])],
      ["a one-pixel change", () => p.noise(wins[0], 3, 3, 1, 1, 99)],
    ];
    let before = await session.capture();
    for (const [what, draw] of steps) {
      draw();
      await p.sync();
      const truth = await p.screen();
      const frame = await session.capture();
      assert.ok(frame.data.equals(truth), `${what}: the frame holds the screen's pixels`);
      assert.notEqual(frame.version, before.version, `${what}: a new version`);
      const scaled = await session.capture({ size: SCALED });
      assert.deepEqual([scaled.width, scaled.height], [SCALED.width, SCALED.height]);
      const expected = await sharp(truth, { raw: { width: W, height: H, channels: 3 } })
        .resize(SCALED.width, SCALED.height, { fit: "fill", kernel: "cubic" })
        .raw()
        .toBuffer();
      assert.ok(scaled.data.equals(expected), `${what}: the scaled frame is the screen's pixels scaled`);
      before = frame;
    }
    // The same pixels drawn again: no new version, and the earlier frame was not written into.
    const kept = Buffer.from(before.data);
    p.X.ClearArea(wins[0], 0, 0, 0, 0, 0);
    p.noise(wins[0], 3, 3, 1, 1, 99);
    await p.sync();
    const again = await session.capture();
    assert.equal(again.version, before.version, "a redraw of the same pixels is the same version");
    p.noise(wins[0], 0, 0, 50, 40, 5);
    await p.sync();
    const changed = await session.capture();
    assert.notEqual(changed.version, before.version);
    assert.ok(before.data.equals(kept), "a frame given out keeps its pixels when the screen changes");
    assert.ok(changed.data.equals(await p.screen()));
  });

  it("a region reads the same pixels as the whole screen has there", async () => {
    const session = await t.host.session();
    const region = { x: 13, y: 17, width: 101, height: 77 };
    const whole = await session.capture();
    const part = await session.capture({ region });
    assert.deepEqual([part.width, part.height], [101, 77]);
    for (let y = 0; y < region.height; y++) {
      const at = ((region.y + y) * W + region.x) * 3;
      assert.ok(part.data.subarray(y * 101 * 3, (y + 1) * 101 * 3).equals(whole.data.subarray(at, at + 101 * 3)), `row ${y}`);
    }
  });
});
