/**
 * Which pixels a redraw really changed. X DAMAGE names the area an
 * application drew into, and an application may redraw a large area to change
 * a few pixels (Firefox repaints a 1024x512 tile for each caret blink); a copy
 * of the screen, compared and updated region by region, tells the pixels that
 * changed. Pixels are compared as bytes: 4 (the X server's 32-bit ZPixmap) or
 * 3 (packed RGB).
 */
import type { Rect } from "./geometry.js";

/**
 * Compares `fresh` (the pixels of `region`, rows packed, `bytes` per pixel)
 * with the same region of `copy` (the whole screen, `screenWidth` pixels per
 * row), writes the rows that differ into `copy` (or into the buffer
 * `writable()` returns at the first such row: a copy of `copy` that may be
 * written when `copy` itself is shared), and returns the box (native
 * pixels) of the pixels that differed, or null when none did.
 */
export function diffRegion(
  copy: Buffer,
  screenWidth: number,
  fresh: Buffer,
  region: Rect,
  bytes: 3 | 4 = 4,
  writable: () => Buffer = () => copy,
): Rect | null {
  let target: Buffer | undefined;
  const rowBytes = region.width * bytes;
  const px = (b: Buffer, i: number) => b.readUIntLE(i * bytes, bytes);
  let top = -1;
  let bottom = -1;
  let left = region.width;
  let right = -1;
  for (let y = 0; y < region.height; y++) {
    const src = fresh.subarray(y * rowBytes, (y + 1) * rowBytes);
    const at = ((region.y + y) * screenWidth + region.x) * bytes;
    const dst = copy.subarray(at, at + rowBytes);
    if (src.equals(dst)) continue;
    if (top < 0) top = y;
    bottom = y;
    // Only the columns not already inside the box need a look.
    let first = 0;
    while (first < left && px(src, first) === px(dst, first)) first++;
    let last = region.width - 1;
    while (last > right && px(src, last) === px(dst, last)) last--;
    left = Math.min(left, first);
    right = Math.max(right, last);
    target ??= writable();
    src.copy(target, at);
  }
  if (top < 0) return null;
  return { x: region.x + left, y: region.y + top, width: right - left + 1, height: bottom - top + 1 };
}

/** The smallest rectangle holding `a` and `b`. */
export function union(a: Rect | null, b: Rect): Rect {
  if (!a) return b;
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
}

/** `r` cut to a `width` x `height` screen, or null when nothing of it is on it. */
export function clip(r: Rect, width: number, height: number): Rect | null {
  const x = Math.max(0, r.x);
  const y = Math.max(0, r.y);
  const w = Math.min(width, r.x + r.width) - x;
  const h = Math.min(height, r.y + r.height) - y;
  return w > 0 && h > 0 ? { x, y, width: w, height: h } : null;
}
