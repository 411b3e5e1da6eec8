/**
 * The scaled copy of a screen (src/desktop/scaled-copy.ts): after any
 * sequence of changes, scaling only what changed gives, byte for byte, what
 * scaling the whole screen gives, at the sizes agents ask for (downscaled
 * by 1.5, by an awkward ratio, by 3, enlarged).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { Rect, Size } from "../../src/desktop/geometry.js";
import { loadSharp } from "../../src/desktop/image.js";
import { ScaledCopy } from "../../src/desktop/scaled-copy.js";

async function wholeResize(input: Buffer, from: Size, to: Size): Promise<Buffer> {
  const sharp = await loadSharp();
  return sharp(input, { raw: { ...from, channels: 3 } })
    .resize(to.width, to.height, { fit: "fill", kernel: "cubic" })
    .raw()
    .toBuffer();
}

/** Noise, so any misplaced or mis-weighted pixel shows. */
function noise(bytes: number, seed: number): Buffer {
  const b = Buffer.alloc(bytes);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < bytes; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    b[i] = s & 0xff;
  }
  return b;
}

function paint(screen: Buffer, width: number, r: Rect, seed: number): void {
  const fill = noise(r.width * r.height * 3, seed);
  for (let y = 0; y < r.height; y++) fill.copy(screen, ((r.y + y) * width + r.x) * 3, y * r.width * 3, (y + 1) * r.width * 3);
}

const PAIRS: [Size, Size][] = [
  [
    { width: 480, height: 270 },
    { width: 320, height: 180 },
  ],
  [
    { width: 683, height: 384 },
    { width: 512, height: 288 },
  ],
  [
    { width: 600, height: 300 },
    { width: 200, height: 100 },
  ],
  [
    { width: 200, height: 150 },
    { width: 320, height: 240 },
  ],
];

describe("ScaledCopy", () => {
  for (const [from, to] of PAIRS) {
    it(`${from.width}x${from.height} -> ${to.width}x${to.height}: patched equals scaled whole after every change`, async () => {
      const copies: ScaledCopy[] = [];
      const rect = fc
        .record({
          x: fc.nat(from.width - 1),
          y: fc.nat(from.height - 1),
          w: fc.integer({ min: 1, max: 60 }),
          h: fc.integer({ min: 1, max: 60 }),
        })
        .map(({ x, y, w, h }) => ({ x, y, width: Math.min(w, from.width - x), height: Math.min(h, from.height - y) }));
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(rect, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }),
          fc.nat(),
          async (steps, seed) => {
            const screen = noise(from.width * from.height * 3, seed);
            const copy = new ScaledCopy(from, to);
            copies.push(copy);
            const log: Rect[][] = [];
            const since = (v: number) => log.slice(v).flat();
            await copy.update(screen, 0, since);
            for (const [i, boxes] of steps.entries()) {
              for (const [j, b] of boxes.entries()) paint(screen, from.width, b, seed + i * 7 + j + 1);
              log.push(boxes);
              const got = await copy.update(screen, log.length, since);
              assert.ok(got.equals(await wholeResize(screen, from, to)), `step ${i}: ${JSON.stringify(boxes)}`);
            }
          },
        ),
        { numRuns: 25 },
      );
      const patched = copies.reduce((n, c) => n + c.counts.patched, 0);
      assert.ok(patched > 0, "some updates scaled only crops");
    });
  }

  it("gives the same pixels for the same version, and never writes into what it gave", async () => {
    const from = { width: 300, height: 150 };
    const to = { width: 200, height: 100 };
    const screen = noise(300 * 150 * 3, 9);
    const copy = new ScaledCopy(from, to);
    const first = await copy.update(screen, 1, () => []);
    const kept = Buffer.from(first);
    assert.equal(await copy.update(screen, 1, () => []), first, "same version: the same buffer");
    paint(screen, 300, { x: 10, y: 10, width: 20, height: 20 }, 3);
    const second = await copy.update(screen, 2, () => [{ x: 10, y: 10, width: 20, height: 20 }]);
    assert.ok(first.equals(kept), "the first answer is unchanged");
    assert.ok(!second.equals(first));
  });
});
