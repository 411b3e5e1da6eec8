/**
 * The screen's changes from X DAMAGE (damage protocol:
 * https://www.x.org/releases/current/doc/damageproto/damageproto.txt),
 * checked against the pixels: the areas drawn during a short window are
 * merged, read back (MIT-SHM), and compared with a copy of the screen
 * (src/desktop/pixel-diff.ts), so the change log hears only of pixels that
 * really changed, in the box they changed in. A still screen costs nothing:
 * no damage, no read.
 *
 * Use a connection of its own: its reads then never wait behind
 * screenshots, and its damage is emptied before each read is sent, on the
 * same connection, so no drawing falls between the two.
 */
import type { Logger } from "pino";
import type { DamageNotify, XEvent } from "x11";
import type { Rect } from "../geometry.js";
import { clip, diffRegion, union } from "../pixel-diff.js";
import type { ChangeLog } from "../screen-changes.js";
import { FrameReader } from "./capture.js";
import type { X11Connection } from "./connection.js";

/** Drawing within this window after the first damage is checked in one read, ms. */
export const COALESCE_MS = 8;

/**
 * Reports the areas drawn on `conn`'s screen from now on (DAMAGE on the root
 * window, DeltaRectangles level): `onDamage` gets native-pixel rectangles.
 * The damage is emptied once per event-loop turn, so later drawing is
 * reported again; requests sent after that turn see every earlier drawing.
 * Rejects when the server has no DAMAGE.
 */
async function onDamage(conn: X11Connection, report: (area: Rect) => void): Promise<void> {
  const damage = await conn.extension("damage");
  let id = 0;
  conn.send((X) => {
    id = X.AllocID();
    damage.Create(id, conn.root, damage.ReportLevel.DeltaRectangles);
  });
  let emptying = false;
  conn.onEvent((ev: XEvent | DamageNotify) => {
    if (ev.name !== "DamageNotify" || !("damage" in ev) || ev.damage !== id) return;
    report({ x: ev.area.x, y: ev.area.y, width: ev.area.w, height: ev.area.h });
    if (emptying) return;
    emptying = true;
    setImmediate(() => {
      emptying = false;
      conn.send(() => damage.Subtract(id, 0, 0));
    });
  });
}

/** Starts feeding `log` from `conn`'s DAMAGE events; rejects when the server has no DAMAGE. */
export async function watchDamage(conn: X11Connection, log: ChangeLog, logger: Logger): Promise<void> {
  const reader = await FrameReader.open(conn);
  const screen = { x: 0, y: 0, width: conn.width, height: conn.height };
  let dirty: Rect | null = null;
  let since = 0;
  let finish: ((box: Rect | null, at: number) => void) | undefined;
  let running = false;
  let copy: Buffer | undefined;

  const check = async () => {
    running = true;
    try {
      while (dirty && copy) {
        await log.clock.sleep(COALESCE_MS);
        const region: Rect = dirty;
        const at = since;
        const done = finish;
        dirty = null;
        finish = undefined;
        let box: Rect | null = region;
        try {
          const kept = copy;
          box = await reader.readRaw(region, (fresh) => diffRegion(kept, conn.width, fresh, region));
        } catch (err) {
          // Not read (the connection went): count the damage as a change.
          logger.debug({ err: (err as Error).message }, "damage read failed");
        }
        done?.(box, at);
      }
    } finally {
      running = false;
    }
  };

  await onDamage(conn, (area) => {
    const c = clip(area, conn.width, conn.height);
    if (!c) return;
    if (!dirty) {
      since = log.clock.now();
      finish = log.begin();
    }
    dirty = union(dirty, c);
    if (!running) void check();
  });
  // The copy is read after the damage watch began: drawing in between is both in it and reported.
  copy = await reader.readRaw(screen, (pixels) => Buffer.from(pixels));
  if (dirty && !running) void check();
}
