/**
 * The built-in backend's pixel conversion: X11 ZPixmap BGRX (32 bits per
 * pixel, little-endian) to packed RGB, for any pixel count and alignment.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bgrxToRgb } from "../../src/desktop/x11/bgrx.js";

/** The obvious per-byte conversion, as the reference. */
function reference(src: Buffer, pixels: number): Buffer {
  const out = Buffer.alloc(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    out[i * 3] = src[i * 4 + 2];
    out[i * 3 + 1] = src[i * 4 + 1];
    out[i * 3 + 2] = src[i * 4];
  }
  return out;
}

const pattern = (bytes: number, offset = 0) => {
  const b = Buffer.alloc(bytes + offset);
  for (let i = 0; i < b.length; i++) b[i] = (i * 37 + 11) & 0xff;
  return b.subarray(offset);
};

describe("bgrxToRgb", () => {
  it("matches the per-byte conversion for 1 to 13 pixels (whole and partial groups of four)", () => {
    for (let n = 1; n <= 13; n++) {
      const src = pattern(n * 4);
      assert.deepEqual(bgrxToRgb(src, n), reference(src, n), `${n} pixels`);
    }
  });

  it("accepts a source that is not 32-bit aligned (a core GetImage reply)", () => {
    const src = pattern(7 * 4, 1);
    assert.equal(src.byteOffset % 4, 1);
    assert.deepEqual(bgrxToRgb(src, 7), reference(src, 7));
  });

  it("ignores the padding byte and converts a full 1920x1080 frame", () => {
    const n = 1920 * 1080;
    const src = pattern(n * 4);
    assert.ok(bgrxToRgb(src, n).equals(reference(src, n)));
  });
});
