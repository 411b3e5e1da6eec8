/**
 * The screen's changes from small frames, for a desktop whose X server cannot
 * be joined: while something waits (a settle, a stream), frames of at most
 * FRAME_WIDTH pixels across are grabbed back to back and compared; the box of
 * the pixels that differ, scaled to native pixels, goes to the change log.
 * Nothing is grabbed while nobody waits. Coarser and slower than DAMAGE: a
 * change smaller than a small-frame pixel may go unseen.
 */
import type { Logger } from "pino";
import { type Clock, systemClock } from "../os/clock.js";
import type { Frame } from "./frame.js";
import type { Rect, Size } from "./geometry.js";
import { ChangeLog } from "./screen-changes.js";

/** Width of the compared frames, pixels. */
export const FRAME_WIDTH = 160;
/** A channel must differ by more than this to count (scaling and compression noise). */
const TOLERANCE = 24;
/** Pause between grabs, ms (a grab itself may take much longer). */
const PAUSE_MS = 50;

/** A frame of about `size`, any channel count. */
export type Grab = (size: Size) => Promise<Frame>;

export function watchFrames(grab: Grab, native: Size, logger: Logger, clock: Clock = systemClock): ChangeLog {
  const small: Size = { width: FRAME_WIDTH, height: Math.max(1, Math.round((FRAME_WIDTH * native.height) / native.width)) };
  let active = false;
  let running = false;
  const poll = async () => {
    running = true;
    let previous: Frame | undefined;
    try {
      while (active) {
        const at = clock.now();
        const frame = await grab(small).catch((err: Error) => {
          logger.debug({ err: err.message }, "frame grab for change tracking failed");
          return undefined;
        });
        if (frame && previous) {
          const box = changedBox(previous, frame);
          if (box) log.record(scale(box, frame, native), at);
        }
        previous = frame ?? previous;
        await clock.sleep(PAUSE_MS);
      }
    } finally {
      running = false;
    }
  };
  const log = new ChangeLog({
    source: "frames",
    clock,
    demand: (waiting) => {
      active = waiting;
      if (active && !running) void poll();
    },
  });
  return log;
}

/** Box of the pixels that differ beyond TOLERANCE, in frame pixels, or null. */
export function changedBox(a: Frame, b: Frame): Rect | null {
  if (a.width !== b.width || a.height !== b.height) return { x: 0, y: 0, width: b.width, height: b.height };
  let left = b.width;
  let right = -1;
  let top = -1;
  let bottom = -1;
  for (let y = 0; y < b.height; y++) {
    for (let x = 0; x < b.width; x++) {
      const ia = (y * a.width + x) * a.channels;
      const ib = (y * b.width + x) * b.channels;
      let differs = false;
      for (let c = 0; c < 3 && !differs; c++) differs = Math.abs(a.data[ia + c] - b.data[ib + c]) > TOLERANCE;
      if (!differs) continue;
      if (top < 0) top = y;
      bottom = y;
      left = Math.min(left, x);
      right = Math.max(right, x);
    }
  }
  return top < 0 ? null : { x: left, y: top, width: right - left + 1, height: bottom - top + 1 };
}

function scale(box: Rect, frame: Size, native: Size): Rect {
  const sx = native.width / frame.width;
  const sy = native.height / frame.height;
  const x = Math.floor(box.x * sx);
  const y = Math.floor(box.y * sy);
  return { x, y, width: Math.ceil((box.x + box.width) * sx) - x, height: Math.ceil((box.y + box.height) * sy) - y };
}
