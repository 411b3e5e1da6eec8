/** Reading pixels back from images, as a spec checks what a screen showed. */
import sharp from "sharp";

export type Rgb = [number, number, number];

/** RGB of pixel (x, y) of an encoded image (PNG, JPEG, WebP: bytes or a file path). */
export async function rgbAt(image: Uint8Array | string, x: number, y: number): Promise<Rgb> {
  const input = typeof image === "string" ? image : Buffer.from(image);
  const { data, info } = await sharp(input).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (x < 0 || y < 0 || x >= info.width || y >= info.height)
    throw new Error(`(${x},${y}) lies outside the ${info.width}x${info.height} image`);
  const o = (y * info.width + x) * 3;
  return [data[o], data[o + 1], data[o + 2]];
}

/** Whether `actual` is `rgb` (0xRRGGBB) give or take `tolerance` per channel (lossy formats, scaling). */
export function isNear(actual: Rgb, rgb: number, tolerance = 24): boolean {
  const want = [(rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff];
  return actual.every((v, i) => Math.abs(v - want[i]) <= tolerance);
}

/** Clearly red: what the specs' red test windows look like through any codec. */
export const isRed = ([r, g, b]: Rgb) => r > 200 && g < 60 && b < 60;
