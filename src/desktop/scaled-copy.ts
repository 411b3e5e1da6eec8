/**
 * A copy of a screen at another size, kept current by scaling again only
 * the areas that changed. sharp's resize (libvips reduce, Catmull-Rom, the
 * same kernel as src/desktop/image.ts) computes each output pixel from the
 * input pixels around its centre, (x + 0.5) * ratio - 0.5
 * (https://www.libvips.org/API/current/method.Image.reduceh.html): a crop of
 * the input whose edges fall on output pixel edges and reach past the
 * kernel's footprint scales to exactly the pixels the whole screen would
 * give there. Edges fall on whole pixels of both every `period` pixels (the
 * sizes over their greatest common divisor: 3 and 2 for 1920 to 1280), so
 * crops are cut on those. test/unit/scaled-copy.test.ts holds it to the
 * whole-screen resize byte for byte.
 */
import type { Rect, Size } from "./geometry.js";
import { loadSharp } from "./image.js";

/** Past this share of the output, one resize of the whole screen is cheaper than crops. */
const WHOLE_ABOVE = 0.5;

/** One axis: input and output lengths, their period and the kernel's reach. */
interface Axis {
  from: number;
  to: number;
  /** Input pixels per output pixel. */
  ratio: number;
  /** Output pixels per period (input pixels per period: `periodIn`). */
  period: number;
  periodIn: number;
  /** How far (input pixels) an input pixel reaches into outputs around it. */
  reach: number;
}

function axis(from: number, to: number): Axis {
  const g = gcd(from, to);
  const ratio = from / to;
  // Catmull-Rom's footprint is 2 output pixels each side, 2 input pixels when enlarging; and one more.
  return { from, to, ratio, period: to / g, periodIn: from / g, reach: Math.ceil(2 * Math.max(ratio, 1)) + 2 };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * For input pixels [lo, hi): the output pixels they touch, [d0, d1), and the
 * crop to scale for them, [c0, c1) in output pixels (input: times `ratio`).
 */
function span(a: Axis, lo: number, hi: number): { d0: number; d1: number; c0: number; c1: number } {
  const down = (v: number) => Math.max(0, Math.floor(v / a.period) * a.period);
  const up = (v: number) => Math.min(a.to, Math.ceil(v / a.period) * a.period);
  const d0 = down(Math.floor((lo - a.reach) / a.ratio));
  const d1 = up(Math.ceil((hi + a.reach) / a.ratio));
  const pad = Math.ceil(a.reach / a.ratio) + 1;
  return { d0, d1, c0: down(d0 - pad), c1: up(d1 + pad) };
}

export class ScaledCopy {
  private data?: Buffer;
  /** The input version `data` shows. */
  private at = Number.NaN;
  private shared = false;
  private readonly x: Axis;
  private readonly y: Axis;
  /** Updates that scaled the whole input, and those that scaled crops. */
  readonly counts = { whole: 0, patched: 0 };

  constructor(
    readonly from: Size,
    readonly to: Size,
  ) {
    this.x = axis(from.width, to.width);
    this.y = axis(from.height, to.height);
  }

  /**
   * Brings the copy to `version` of `input` (packed RGB rows at `from`'s
   * size) and returns it (packed RGB rows at `to`'s size; shared: read it,
   * never write into it). `changedSince(v)` gives the input areas changed
   * since version `v`, or undefined when it cannot tell: the whole input is
   * scaled then. `input` must not change until this resolves.
   */
  async update(input: Buffer, version: number, changedSince: (v: number) => Rect[] | undefined): Promise<Buffer> {
    if (this.data && this.at === version) {
      this.shared = true;
      return this.data;
    }
    const boxes = this.data ? changedSince(this.at) : undefined;
    const crops = boxes?.map((b) => ({ sx: span(this.x, b.x, b.x + b.width), sy: span(this.y, b.y, b.y + b.height) }));
    const area = crops?.reduce((n, c) => n + (c.sx.c1 - c.sx.c0) * (c.sy.c1 - c.sy.c0), 0) ?? Number.POSITIVE_INFINITY;
    if (!this.data || !crops || area > WHOLE_ABOVE * this.to.width * this.to.height) {
      this.data = await this.scale(input, { x: 0, y: 0, width: this.from.width, height: this.from.height }, this.to);
      this.counts.whole++;
    } else {
      for (const { sx, sy } of crops) await this.patch(input, sx, sy);
      this.counts.patched++;
    }
    this.at = version;
    this.shared = true;
    return this.data;
  }

  /** Scales the crop and writes the output pixels [d0, d1) of both axes into the copy. */
  private async patch(input: Buffer, sx: ReturnType<typeof span>, sy: ReturnType<typeof span>): Promise<void> {
    // Whole periods: integers, with no rounding of the ratio.
    const inX = (d: number) => (d / this.x.period) * this.x.periodIn;
    const inY = (d: number) => (d / this.y.period) * this.y.periodIn;
    const crop = { x: inX(sx.c0), y: inY(sy.c0), width: inX(sx.c1 - sx.c0), height: inY(sy.c1 - sy.c0) };
    const scaled = await this.scale(input, crop, { width: sx.c1 - sx.c0, height: sy.c1 - sy.c0 });
    if (this.shared && this.data) {
      this.data = Buffer.from(this.data);
      this.shared = false;
    }
    const out = this.data as Buffer;
    const rowIn = (sx.c1 - sx.c0) * 3;
    const bytes = (sx.d1 - sx.d0) * 3;
    for (let y = sy.d0; y < sy.d1; y++) {
      const from = (y - sy.c0) * rowIn + (sx.d0 - sx.c0) * 3;
      scaled.copy(out, (y * this.to.width + sx.d0) * 3, from, from + bytes);
    }
  }

  private async scale(input: Buffer, crop: Rect, size: Size): Promise<Buffer> {
    const sharp = await loadSharp();
    const whole = crop.width === this.from.width && crop.height === this.from.height;
    let img = sharp(input, { raw: { width: this.from.width, height: this.from.height, channels: 3 } });
    if (!whole) img = img.extract({ left: crop.x, top: crop.y, width: crop.width, height: crop.height });
    return img.resize(size.width, size.height, { fit: "fill", kernel: "cubic" }).raw().toBuffer();
  }
}
