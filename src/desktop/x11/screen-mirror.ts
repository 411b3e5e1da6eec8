/**
 * A copy of the screen kept current from X DAMAGE (damage protocol:
 * https://www.x.org/releases/current/doc/damageproto/damageproto.txt): the
 * areas drawn are read back (MIT-SHM) and compared with the copy
 * (src/desktop/pixel-diff.ts), so the change log hears only of pixels that
 * really changed, in the box they changed in, and a screenshot reads the
 * copy instead of the whole screen: it costs a round trip and the areas
 * drawn since the last one, not a 1920x1080 GetImage and its conversion.
 * A still screen costs nothing: no damage, no read.
 *
 * The copy is packed RGB (3 bytes per pixel, rows of the screen's width),
 * what sharp reads; each read converts only the area drawn
 * (src/desktop/x11/bgrx.ts).
 *
 * Use a connection of its own: its reads then never wait behind other
 * requests, and its damage is emptied before each read is sent, on the same
 * connection, so no drawing falls between the two.
 */
import type { Logger } from "pino";
import type { DamageNotify, XEvent } from "x11";
import type { Rect, Size } from "../geometry.js";
import { clip, diffRegion, union } from "../pixel-diff.js";
import { ScaledCopy } from "../scaled-copy.js";
import type { ChangeLog } from "../screen-changes.js";
import { bgrxToRgb } from "./bgrx.js";
import { FrameReader } from "./capture.js";
import type { X11Connection } from "./connection.js";

/** Drawing within this window after the first damage is checked in one read, ms. */
export const COALESCE_MS = 8;
/** Changed areas remembered, for scaled copies to catch up with (older: scaled whole). */
const KEPT_CHANGES = 32;
/** Scaled copies kept, one per size, the least recently read going first. */
const KEPT_SIZES = 2;

/** RGB pixels of a region of the screen, and which version of the screen they are. */
export interface MirrorRead {
  /**
   * Packed RGB rows of the region (3 bytes per pixel). Shared with the
   * mirror until it changes (then the mirror writes into a copy of its
   * own): read it, never write into it.
   */
  data: Buffer;
  /** The pixels' size: the region's, or the size asked. */
  size: Size;
  /**
   * Equal for two reads of the same region exactly when no pixel of the
   * screen changed between them; unique across mirrors in this process.
   */
  version: string;
}

let mirrors = 0;

export class ScreenMirror {
  private readonly id = ++mirrors;
  private rgb: Buffer;
  /** `rgb` was given out by a read: copied before the next write. */
  private shared = false;
  /** Grows with every read that found changed pixels. */
  private changed = 0;
  /** The area each of the last KEPT_CHANGES versions changed. */
  private boxes: { version: number; box: Rect }[] = [];
  private readonly scaled = new Map<string, ScaledCopy>();
  private dirty: Rect | null = null;
  private since = 0;
  private finish: ((box: Rect | null, at: number) => void) | undefined;
  private scheduled = false;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly conn: X11Connection,
    private readonly reader: FrameReader,
    private readonly log: ChangeLog,
    private readonly logger: Logger,
  ) {
    this.rgb = Buffer.allocUnsafeSlow(conn.width * conn.height * 3);
  }

  /**
   * Starts watching `conn`'s screen (DAMAGE on the root window,
   * DeltaRectangles level) into `log` and reads the first copy. Rejects
   * when the server has no DAMAGE.
   */
  static async start(conn: X11Connection, log: ChangeLog, logger: Logger): Promise<ScreenMirror> {
    const mirror = new ScreenMirror(conn, await FrameReader.open(conn), log, logger);
    await mirror.watch();
    // The copy is read after the watch began: drawing in between is both in it and reported.
    const screen = { x: 0, y: 0, width: conn.width, height: conn.height };
    await mirror.reader.readRaw(screen, (pixels) => bgrxToRgb(pixels, conn.width * conn.height).copy(mirror.rgb));
    if (mirror.dirty) mirror.schedule();
    return mirror;
  }

  /** Reads go through MIT-SHM (no copy over the socket). */
  get usesShm(): boolean {
    return this.reader.usesShm;
  }

  /**
   * The pixels of `region` (native pixels, on the screen) as the X server
   * holds them now: everything drawn before this call is in them. With
   * `size` (pixels) and the whole screen, scaled to it (src/desktop/scaled-copy.ts).
   * Fails like any request on the connection (DesktopStalledError when the
   * server does not answer).
   */
  async read(region: Rect, size?: Size): Promise<MirrorRead> {
    const width = this.conn.width;
    const whole = region.x === 0 && region.y === 0 && region.width === width && region.height === this.conn.height;
    const scaleTo = whole && size && (size.width !== width || size.height !== region.height) ? size : undefined;
    // Every damage the server reported before this reply has been heard...
    await this.conn.sync();
    // ...and is read into the copy before the pixels are taken: no read in between.
    return this.serialised(async () => {
      await this.drain();
      const version = `${this.id}.${this.changed}:${region.x},${region.y},${region.width}x${region.height}`;
      if (scaleTo) {
        const data = await this.scaledCopy(scaleTo).update(this.rgb, this.changed, (v) => this.changedSince(v));
        return { data, version: `${version}@${scaleTo.width}x${scaleTo.height}`, size: scaleTo };
      }
      if (region.x === 0 && region.width === width) {
        // Whole rows: no copy (a still screen's screenshot copies nothing).
        const from = region.y * width * 3;
        this.shared = true;
        return { data: this.rgb.subarray(from, from + region.height * width * 3), version, size: { width, height: region.height } };
      }
      const row = region.width * 3;
      const data = Buffer.allocUnsafe(region.height * row);
      for (let y = 0; y < region.height; y++) {
        const at = ((region.y + y) * width + region.x) * 3;
        this.rgb.copy(data, y * row, at, at + row);
      }
      return { data, version, size: { width: region.width, height: region.height } };
    });
  }

  private scaledCopy(size: Size): ScaledCopy {
    const key = `${size.width}x${size.height}`;
    const copy = this.scaled.get(key) ?? new ScaledCopy({ width: this.conn.width, height: this.conn.height }, size);
    this.scaled.delete(key);
    this.scaled.set(key, copy);
    for (const old of this.scaled.keys()) if (this.scaled.size > KEPT_SIZES) this.scaled.delete(old);
    return copy;
  }

  /** The areas changed after `version`; undefined when they are no longer remembered. */
  private changedSince(version: number): Rect[] | undefined {
    if (version === this.changed) return [];
    if (version < this.changed - this.boxes.length) return undefined;
    return this.boxes.filter((b) => b.version > version).map((b) => b.box);
  }

  private changedArea(box: Rect): void {
    this.changed++;
    this.boxes.push({ version: this.changed, box });
    if (this.boxes.length > KEPT_CHANGES) this.boxes.shift();
  }

  private async watch(): Promise<void> {
    const damage = await this.conn.extension("damage");
    let id = 0;
    this.conn.send((X) => {
      id = X.AllocID();
      damage.Create(id, this.conn.root, damage.ReportLevel.DeltaRectangles);
    });
    // The damage is emptied once per event-loop turn, so later drawing is reported again.
    let emptying = false;
    this.conn.onEvent((ev: XEvent | DamageNotify) => {
      if (ev.name !== "DamageNotify" || !("damage" in ev) || ev.damage !== id) return;
      this.damaged({ x: ev.area.x, y: ev.area.y, width: ev.area.w, height: ev.area.h });
      if (emptying) return;
      emptying = true;
      setImmediate(() => {
        emptying = false;
        this.conn.send(() => damage.Subtract(id, 0, 0));
      });
    });
  }

  private damaged(area: Rect): void {
    const c = clip(area, this.conn.width, this.conn.height);
    if (!c) return;
    if (!this.dirty) {
      this.since = this.log.clock.now();
      this.finish = this.log.begin();
    }
    this.dirty = union(this.dirty, c);
    this.schedule();
  }

  /** Reads the area drawn once drawing had COALESCE_MS to gather, unless a screenshot reads it first. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    void this.log.clock
      .sleep(COALESCE_MS)
      .then(() => {
        this.scheduled = false;
        return this.serialised(() => this.drain());
      })
      .catch(() => undefined);
  }

  /** Runs `step` after every earlier one: the copy changes only inside steps. */
  private serialised<T>(step: () => Promise<T>): Promise<T> {
    const run = this.chain.then(step);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** The copy, copied first when a read gave it out. */
  private writable(): Buffer {
    if (this.shared) {
      this.rgb = Buffer.from(this.rgb);
      this.shared = false;
    }
    return this.rgb;
  }

  /** Reads the area drawn so far into the copy and tells the change log what changed in it. */
  private async drain(): Promise<void> {
    const region = this.dirty;
    const at = this.since;
    const done = this.finish;
    if (!region) return;
    this.dirty = null;
    this.finish = undefined;
    let box: Rect | null = region;
    try {
      box = await this.reader.readRaw(region, (fresh) =>
        diffRegion(this.rgb, this.conn.width, bgrxToRgb(fresh, region.width * region.height), region, 3, () => this.writable()),
      );
    } catch (err) {
      // Not read (a stalled or lost server): the change log counts the damage
      // as a change, and the next read tries the area again.
      this.logger.debug({ err: (err as Error).message }, "damage read failed");
      this.dirty = union(this.dirty, region);
      this.changedArea(region);
      done?.(box, at);
      throw err;
    }
    if (box) this.changedArea(box);
    done?.(box, at);
  }
}
