/** The built-in backend's options, defaults, timing constants and session record. */
import type { Logger } from "pino";
import { DEFAULT_GEOMETRY, type MouseButton } from "../desktop.js";
import type { Size } from "../geometry.js";
import type { ChangeLog } from "../screen-changes.js";
import { STALL_DEFAULTS, type StallLimits, type StallWatch } from "../stall.js";
import type { Clipboard } from "../x11/clipboard.js";
import type { X11Connection } from "../x11/connection.js";
import type { XServer } from "./xserver.js";

export interface BuiltinOptions {
  /** Native framebuffer size, pixels. */
  geometry?: Size;
  /** Applications to start inside the desktop (argv arrays). */
  open?: string[][];
  /** Parent of each desktop's private runtime directory. */
  runtimeParent?: string;
  /** Environment of every process the desktop starts (Xvnc, openbox, apps, ffmpeg). */
  env?: NodeJS.ProcessEnv;
  /** The ffmpeg binary recordings use. */
  ffmpeg?: string;
  /** How long to wait for openbox to finish starting before going on without it, ms. */
  windowManagerTimeoutMs?: number;
  /** Time limits for a stalled X server (src/desktop/stall.ts). */
  limits?: StallLimits;
  logger: Logger;
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
export const CAPS_LOCK = 0xffe5;
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

/** One running desktop: its processes, the X connection that drives it, and the one that watches it. */
export interface Session {
  server: XServer;
  x: X11Connection;
  watcher: X11Connection;
  changes: ChangeLog;
  /** Whether Xvnc answers (a heartbeat between calls). */
  stall: StallWatch;
  /** The pointer image failed once (logged once). */
  cursorFailed?: boolean;
  /** The clipboard's own X connection, opened on first use. */
  clipboard?: Promise<Clipboard>;
}
