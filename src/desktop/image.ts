/**
 * Frame encoding (sharp) and pointer drawing. Frames are raw pixels from a
 * backend; encoding happens in memory, never through temp files.
 */
import { availableParallelism } from "node:os";
import type SharpModule from "sharp";
import type { Frame } from "./frame.js";
import type { Size } from "./geometry.js";

export type Format = "png" | "jpeg" | "webp";

export interface EncodeOptions {
  format: Format;
  /** JPEG/WebP quality 1..100. */
  quality: number;
  /** Output size in pixels; the frame's own size when unset. */
  size?: Size;
}

export interface Encoded {
  data: Buffer;
  format: Format;
  width: number;
  height: number;
}

let loaded: Promise<typeof SharpModule> | undefined;

/**
 * sharp (and libvips), loaded on the first image rather than at start: a
 * desktop that is not asked for one never pays for it.
 */
export function loadSharp(): Promise<typeof SharpModule> {
  loaded ??= import("sharp").then(({ default: sharp }) => {
    // sharp gives libvips one thread on glibc Linux (to limit heap fragmentation);
    // a screenshot's resize then runs on one core. Frames are latency-bound, so
    // use every core; `npm run bench` reports the service's memory alongside.
    sharp.concurrency(availableParallelism());
    // Every frame is new pixels: libvips' operation cache would only hold memory.
    sharp.cache(false);
    return sharp;
  });
  return loaded;
}

/** Default JPEG/WebP quality when a request says 0. */
export const DEFAULT_QUALITY = 80;

/** How many encodings of versioned frames are kept for reuse (any options, any desktop). */
export const KEPT_ENCODINGS = 4;
const kept = new Map<string, Promise<Encoded>>();

/**
 * Encodes a raw frame, resizing (exact size, Catmull-Rom) when `size` differs.
 * PNG uses a fast zlib level: screenshots are produced on a hot path. A frame
 * with a `version` whose pixels were encoded with the same options lately
 * (the last KEPT_ENCODINGS encodings) gets that encoding again at no cost:
 * an agent's screenshots of a still screen, or every stream of one desktop.
 * The result is shared: do not write into it.
 */
export function encodeFrame(frame: Frame, opts: EncodeOptions): Promise<Encoded> {
  if (frame.version === undefined) return encode(frame, opts);
  const key = `${frame.version}|${opts.format}|${opts.quality}|${opts.size?.width}x${opts.size?.height}`;
  let image = kept.get(key);
  if (image) kept.delete(key);
  else image = encode(frame, opts);
  kept.set(key, image);
  // The oldest goes first; a failed encoding is not kept.
  for (const old of kept.keys()) {
    if (kept.size <= KEPT_ENCODINGS) break;
    kept.delete(old);
  }
  image.catch(() => kept.get(key) === image && kept.delete(key));
  return image;
}

async function encode(frame: Frame, opts: EncodeOptions): Promise<Encoded> {
  const width = opts.size?.width ?? frame.width;
  const height = opts.size?.height ?? frame.height;
  const sharp = await loadSharp();
  let img = sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: frame.channels } });
  // Catmull-Rom keeps text sharp at a fraction of Lanczos' cost.
  if (width !== frame.width || height !== frame.height) img = img.resize(width, height, { fit: "fill", kernel: "cubic" });
  if (frame.channels === 4) img = img.removeAlpha();
  switch (opts.format) {
    case "jpeg":
      img = img.jpeg({ quality: opts.quality, mozjpeg: false, optimiseCoding: false });
      break;
    case "webp":
      img = img.webp({ quality: opts.quality, effort: 0 });
      break;
    default:
      img = img.png({ compressionLevel: 1, adaptiveFiltering: false });
  }
  return { data: await img.toBuffer(), format: opts.format, width, height };
}

/** A pointer image in straight-alpha RGBA, placed at (x, y) in native pixels. */
export interface PointerSprite {
  x: number;
  y: number;
  width: number;
  height: number;
  rgba: Buffer;
}

/**
 * Alpha-blends the pointer into an RGB/RGBA frame in place. `origin` is the
 * frame's top-left corner in native pixels (non-zero for region captures).
 */
export function drawPointer(frame: Frame, sprite: PointerSprite, origin = { x: 0, y: 0 }): void {
  const ch = frame.channels;
  for (let sy = 0; sy < sprite.height; sy++) {
    const fy = sprite.y + sy - origin.y;
    if (fy < 0 || fy >= frame.height) continue;
    for (let sx = 0; sx < sprite.width; sx++) {
      const fx = sprite.x + sx - origin.x;
      if (fx < 0 || fx >= frame.width) continue;
      const s = (sy * sprite.width + sx) * 4;
      const a = sprite.rgba[s + 3];
      if (a === 0) continue;
      const d = (fy * frame.width + fx) * ch;
      for (let c = 0; c < 3; c++) {
        frame.data[d + c] = Math.round((sprite.rgba[s + c] * a + frame.data[d + c] * (255 - a)) / 255);
      }
    }
  }
}
