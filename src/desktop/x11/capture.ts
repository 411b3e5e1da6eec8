/**
 * Frames from the X server: GetImage (through MIT-SHM when the server shares
 * memory with us: no copy over the socket) and the pointer image (XFixes
 * GetCursorImage). Reads are serialised: the one SHM segment is reused for
 * every frame.
 */
import type { CursorImage, ShmSegment, XFixes } from "x11";
import type { Rect } from "../geometry.js";
import type { PointerSprite } from "../image.js";
import type { X11Connection } from "./connection.js";

const Z_PIXMAP = 2;
const ALL_PLANES = 0xffffffff;

export class FrameReader {
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly x: X11Connection,
    private readonly segment: ShmSegment | undefined,
    private readonly fixes: XFixes | undefined,
  ) {}

  /**
   * A reader on `x`: MIT-SHM (unless `opts.shm` is false: a reader of the
   * pointer only needs no segment of the screen's size) and XFixes when the
   * server has them.
   */
  static async open(x: X11Connection, opts: { shm?: boolean } = {}): Promise<FrameReader> {
    const fixes = await x.extension("fixes").catch(() => undefined);
    if (fixes) await x.call((_, cb) => fixes.QueryVersion(5, 0, cb)).catch(() => undefined);
    const shm = opts.shm === false ? undefined : await x.extension("shm").catch(() => undefined);
    let segment: ShmSegment | undefined;
    if (shm && (await x.call<boolean>((_, cb) => shm.usable(cb)).catch(() => false))) {
      segment = await x.call<ShmSegment>((_, cb) => shm.createSegment(x.width * x.height * 4, cb)).catch(() => undefined);
    }
    return new FrameReader(x, segment, fixes);
  }

  get usesShm(): boolean {
    return this.segment !== undefined;
  }

  /**
   * Reads a native-pixel region as the X server holds it (4 bytes per pixel:
   * ZPixmap, 32 bits per pixel, rows packed) and gives it to `use`, whose
   * result this resolves to. The pixels may be the SHM segment itself, valid
   * only during `use`: copy what must outlive it. No buffer per read.
   */
  readRaw<T>(region: Rect, use: (pixels: Buffer) => T): Promise<T> {
    return this.serialised(async () => use(await this.readRegion(region)));
  }

  private serialised<T>(read: () => Promise<T>): Promise<T> {
    const run = this.chain.then(read);
    // The chain must not hold the last result: a frame is megabytes.
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** The region's pixels; an SHM view is valid until the next read. */
  private async readRegion(r: Rect): Promise<Buffer> {
    const seg = this.segment;
    const root = this.x.root;
    if (seg) {
      const rep = await this.x.call<{ size: number }>((_, cb) =>
        seg.getImage(root, r.x, r.y, r.width, r.height, ALL_PLANES, Z_PIXMAP, 0, cb),
      );
      return seg.buffer.subarray(0, rep.size);
    }
    const img = await this.x.call<{ data: Buffer }>((X, cb) => X.GetImage(Z_PIXMAP, root, r.x, r.y, r.width, r.height, ALL_PLANES, cb));
    return img.data;
  }

  /**
   * The displayed pointer image (XFixes GetCursorImage, premultiplied ARGB32)
   * as straight-alpha RGBA placed at its hotspot; undefined without XFixes.
   */
  async cursorImage(): Promise<PointerSprite | undefined> {
    const fixes = this.fixes;
    if (!fixes) return undefined;
    const c = await this.x.call<CursorImage>((_, cb) => fixes.GetCursorImage(cb));
    const rgba = Buffer.alloc(c.width * c.height * 4);
    const src: Buffer = c.cursorImage;
    for (let i = 0; i < c.width * c.height; i++) {
      const argb = src.readUInt32LE(i * 4);
      const a = argb >>> 24;
      // Un-premultiply so sharp can composite straight alpha.
      const un = (v: number) => (a === 0 ? 0 : Math.min(255, Math.round((v * 255) / a)));
      rgba[i * 4] = un((argb >>> 16) & 0xff);
      rgba[i * 4 + 1] = un((argb >>> 8) & 0xff);
      rgba[i * 4 + 2] = un(argb & 0xff);
      rgba[i * 4 + 3] = a;
    }
    return { x: c.x - c.xhot, y: c.y - c.yhot, width: c.width, height: c.height, rgba };
  }
}
