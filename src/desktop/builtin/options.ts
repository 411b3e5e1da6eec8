/** The built-in backend's options, defaults and timing constants. */
import { DEFAULT_GEOMETRY, type MouseButton } from "../desktop.js";
import type { HostOptions } from "../host-options.js";
import { STALL_DEFAULTS } from "../stall.js";

export interface BuiltinOptions extends HostOptions {
  /** The ffmpeg binary recordings use. */
  ffmpeg?: string;
  /** How long to wait for openbox to finish starting before going on without it, ms. */
  windowManagerTimeoutMs?: number;
}

export const DEFAULTS = {
  geometry: DEFAULT_GEOMETRY,
  open: [] as string[][],
  ffmpeg: "ffmpeg",
  windowManagerTimeoutMs: 10_000,
  env: process.env,
  limits: STALL_DEFAULTS,
};

export const BUTTONS: Record<MouseButton, number> = { left: 1, middle: 2, right: 3 };
// X core buttons for wheel notches.
export const WHEEL = { up: 4, down: 5, left: 6, right: 7 };
export const SHIFT_L = 0xffe1;
/**
 * Time clients get to re-read the keyboard mapping after it changed before
 * keys that use it are sent, ms. Measured with Firefox ESR at API pace
 * (test/firefox.test.ts).
 */
export const MAPPING_GRACE_MS = 50;
/**
 * Time between the clicks of a double or triple click, ms: sent in one
 * instant, Firefox may lose the second click under load (its word selection
 * never came in 1 of 20 CI runs). Well within GTK's 400 ms double-click time.
 */
export const MULTI_CLICK_GAP_MS = 60;
/** Keys typed per answered round trip. */
export const TYPE_BATCH = 32;
/** Time a replaced (dead) desktop's processes get before SIGKILL, ms. */
export const REPLACE_GRACE_MS = 500;
