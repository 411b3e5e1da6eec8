/**
 * Declared (model-facing) vs native geometry.
 *
 * Native space is the framebuffer in pixels. Declared space is the size a
 * caller (usually a model) reasons in. Model-facing limits: a long edge of at
 * most 1568 px and at most 1.15 megapixels (images larger than that are scaled
 * down by the model's API: https://docs.anthropic.com/en/docs/build-with-claude/vision),
 * with preferred declared widths 1280 then 1024 (the WXGA and XGA targets of
 * anthropics/anthropic-quickstarts computer-use-demo, tools/computer.py).
 */

export interface Size {
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface Rect extends Point, Size {}

/** Longest edge a model-facing image may have, pixels. */
export const MAX_DECLARED_EDGE = 1568;
/** Largest area a model-facing image may have, pixels. */
export const MAX_DECLARED_AREA = 1_150_000;
const PREFERRED_WIDTHS = [1280, 1024];

function fits(w: number, h: number): boolean {
  return Math.max(w, h) <= MAX_DECLARED_EDGE && w * h <= MAX_DECLARED_AREA;
}

/**
 * The default declared size for a native size: native when it already fits the
 * model-facing limits, else 1280 or 1024 wide (landscape), else scaled down to
 * fit (portrait). Values <= 0 count as 1. Example: 1920x1080 -> 1280x720.
 */
export function defaultDeclaredSize(native: Size): Size {
  const w = Math.max(1, Math.trunc(native.width));
  const h = Math.max(1, Math.trunc(native.height));
  if (fits(w, h)) return { width: w, height: h };
  if (w >= h) {
    for (const dw of PREFERRED_WIDTHS) {
      if (dw > w) continue;
      const dh = Math.max(1, Math.floor((dw * h) / w));
      if (fits(dw, dh)) return { width: dw, height: dh };
    }
  }
  const scale = Math.min(1, MAX_DECLARED_EDGE / Math.max(w, h), Math.sqrt(MAX_DECLARED_AREA / (w * h)));
  return { width: Math.max(1, Math.floor(w * scale)), height: Math.max(1, Math.floor(h * scale)) };
}

/**
 * Maps one coordinate from an axis of length `from` to one of length `to`,
 * through pixel centres: v = (c + 0.5) * to / from - 0.5, clamped to
 * [0, to-1] and rounded. `to <= 0` gives 0; `from <= 0` or `from == to` only clamps.
 */
export function mapCoordinate(c: number, from: number, to: number): number {
  if (to <= 0) return 0;
  if (from <= 0 || from === to) return clamp(Math.round(c), 0, to - 1);
  const v = ((c + 0.5) * to) / from - 0.5;
  return Math.round(clamp(v, 0, to - 1));
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : Math.min(v, hi);
}

/** A pair of sizes: the native framebuffer and the caller's declared size. */
export class Geometry {
  constructor(
    readonly native: Size,
    readonly declared: Size = native,
  ) {}

  /** Declared-space point -> native pixels, clamped to the framebuffer. */
  toNative(p: Point): Point {
    return {
      x: mapCoordinate(p.x, this.declared.width, this.native.width),
      y: mapCoordinate(p.y, this.declared.height, this.native.height),
    };
  }

  /** Native pixels -> declared-space point, clamped to the declared size. */
  toDeclared(p: Point): Point {
    return {
      x: mapCoordinate(p.x, this.native.width, this.declared.width),
      y: mapCoordinate(p.y, this.native.height, this.declared.height),
    };
  }

  /**
   * A declared-space rectangle -> the native pixels it covers: edges are scaled
   * (left/top floored, right/bottom ceiled) and clipped to the framebuffer.
   * Returns null when nothing of it lies on the screen.
   */
  rectToNative(r: Rect): Rect | null {
    const sx = this.native.width / this.declared.width;
    const sy = this.native.height / this.declared.height;
    const x0 = clamp(Math.floor(r.x * sx), 0, this.native.width);
    const y0 = clamp(Math.floor(r.y * sy), 0, this.native.height);
    const x1 = clamp(Math.ceil((r.x + r.width) * sx), 0, this.native.width);
    const y1 = clamp(Math.ceil((r.y + r.height) * sy), 0, this.native.height);
    if (x1 <= x0 || y1 <= y0) return null;
    return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  }

  get isScaled(): boolean {
    return this.native.width !== this.declared.width || this.native.height !== this.declared.height;
  }
}
