/**
 * The Desktop contract: one virtual desktop session, behind which the backends
 * (built-in X11, PortableDesktop CLI) live. All coordinates are native pixels;
 * declared-space mapping belongs to the API layer (src/server/rpc/action.ts).
 *
 * Errors: InvalidInputError (bad input), DesktopUnavailableError (cannot
 * start or reach the desktop; DesktopStalledError when it stopped answering
 * within the request limit), DesktopClosedError (after close), anything else
 * is internal. Implementations never leave a key or button held when a call
 * fails part-way.
 *
 * Input methods take the call's `signal`: input goes out only while it has
 * not aborted and only to a desktop that has just answered, so the input of a
 * failed, cancelled or expired call is never carried out later. Releases
 * (`buttonUp`, `keyUp`) take none: they always go out.
 */
import type { Duplex } from "node:stream";
import type { Point, Rect, Size } from "./geometry.js";
import type { Key } from "./keys.js";
import type { ScreenChanges } from "./screen-changes.js";
import type { SelectionName } from "./x11/clipboard.js";
import type { WindowInfo } from "./x11/windows.js";

export type MouseButton = "left" | "middle" | "right";

/** Native framebuffer size of a desktop when none is asked for, pixels. */
export const DEFAULT_GEOMETRY: Size = { width: 1920, height: 1080 };

export interface DisplayConfig {
  /** Framebuffer size, native pixels. */
  native: Size;
  /** Backend name: "builtin" or "portabledesktop". */
  backend: string;
}

/** Raw pixels of a capture, top-down rows, RGBA (4 channels) or RGB (3). */
export interface Frame {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
  capturedAt: Date;
  /** Set when the pointer was asked for but could not be drawn: why. */
  cursorOmitted?: string;
}

export interface CaptureOptions {
  /** Native-pixel region; whole screen when unset. Must lie on the screen. */
  region?: Rect;
  /** Draw the pointer into the frame. */
  includeCursor?: boolean;
}

/**
 * Idle speed-up: spans where the screen does not change
 * for at least `minDurationS` seconds (frame difference under `noiseDb`, as
 * ffmpeg's freezedetect measures it) play `factor` times faster.
 */
export interface IdleSpeedup {
  /** How much faster idle spans play; 20 by default. */
  factor: number;
  /** Shortest span that counts as idle, seconds; 0.35 by default. */
  minDurationS: number;
  /** Noise tolerance, dB (negative); -38 by default. */
  noiseDb: number;
}

export const DEFAULT_IDLE_SPEEDUP: IdleSpeedup = { factor: 20, minDurationS: 0.35, noiseDb: -38 };

export interface RecordOptions {
  /** MP4 to write: H.264, yuv420p, 30 fps, the whole screen at native size, pointer drawn. */
  video: string;
  /** JPEG of the first frame. */
  thumbnail: string;
  /** Speed up idle spans; none when unset. */
  idleSpeedup?: IdleSpeedup;
}

/** A running screen recording (one encoder process). */
export interface Recorder {
  /**
   * Finishes the recording: SIGINT to the encoder, which finalises the MP4,
   * waiting at most `graceMs`, then SIGKILL. Resolves true when the MP4 was
   * finalised, false when the encoder failed or had to be killed (the file is
   * then unusable). Idempotent.
   */
  stop(graceMs: number): Promise<boolean>;
  /** Kills the encoder at once (shutdown); the files are abandoned. */
  kill(): void;
  /** Settles when the encoder process has exited, for whatever reason. */
  readonly exited: Promise<void>;
}

export interface Desktop {
  /** Backend name reported by GetDisplay. */
  readonly backend: string;
  /**
   * Starts the desktop if it is not running; idempotent. A desktop whose
   * server died is replaced by a new one. Throws DesktopClosedError after close.
   */
  start(): Promise<DisplayConfig>;
  /** A new raw RFB byte stream to the desktop's VNC server (shared). */
  connectVnc(): Promise<Duplex>;
  /** Reads the framebuffer (native pixels). */
  capture(opts?: CaptureOptions): Promise<Frame>;
  /** Pointer position, native pixels. */
  cursorPosition(): Promise<Point>;
  /** Absolute pointer move, native pixels. */
  move(p: Point, signal?: AbortSignal): Promise<void>;
  /**
   * Clicks `button` `count` times at `at` (current position when unset), with
   * `modifiers` held down for the duration.
   */
  click(button: MouseButton, count: number, at?: Point, modifiers?: Key[], signal?: AbortSignal): Promise<void>;
  buttonDown(button: MouseButton, signal?: AbortSignal): Promise<void>;
  buttonUp(button: MouseButton): Promise<void>;
  /** Wheel notches: dy < 0 up, dy > 0 down, dx < 0 left, dx > 0 right. */
  scroll(at: Point | undefined, dx: number, dy: number, modifiers?: Key[], signal?: AbortSignal): Promise<void>;
  /** Move to `from`, left down, move to `to`, left up. */
  drag(from: Point, to: Point, signal?: AbortSignal): Promise<void>;
  /** Presses the keys in order, releases them in reverse. */
  keyPress(combo: Key[], signal?: AbortSignal): Promise<void>;
  keyDown(combo: Key[], signal?: AbortSignal): Promise<void>;
  keyUp(combo: Key[]): Promise<void>;
  /**
   * Why the running desktop is not answering (a stalled X server or CLI,
   * src/desktop/stall.ts), or undefined while it answers or is not running.
   * Health reports NOT_SERVING meanwhile.
   */
  stalled(): string | undefined;
  /**
   * How the running desktop's screen changes (src/desktop/screen-changes.ts):
   * for settling after an action and for a stream that waits for a change.
   */
  screenChanges(): Promise<ScreenChanges>;
  /**
   * Starts `argv` (no shell) on the desktop in its own process group, stopped
   * with the desktop; `cwd` (absolute, default the home directory) and extra
   * `env`. Throws NotFoundError when argv[0] cannot be found.
   */
  launchApplication(argv: string[], opts?: { cwd?: string; env?: Record<string, string> }): Promise<{ pid: number }>;
  /** The managed top-level windows (src/desktop/x11/windows.ts), native pixels; UnimplementedError where they cannot be read. */
  windows(): Promise<WindowInfo[]>;
  /** Raises and focuses managed window `id`; NotFoundError when it is not one. */
  activateWindow(id: number): Promise<void>;
  /**
   * Asks managed window `id` to close; with `killAfterMs` > 0, SIGKILL to its
   * process if it is still there then. NotFoundError when it is not one.
   */
  closeWindow(id: number, killAfterMs: number): Promise<{ killed: boolean }>;
  /**
   * The text on `selection` (src/desktop/x11/clipboard.ts); "" when nobody
   * owns it. ResourceExhaustedError over MAX_CLIPBOARD_BYTES; a read ends
   * within 3 s (DesktopUnavailableError) or when `signal` aborts.
   */
  getClipboard(selection: SelectionName, signal?: AbortSignal): Promise<string>;
  /** Puts `text` (UTF-8, at most MAX_CLIPBOARD_BYTES: the caller checks) on `selection`. */
  setClipboard(text: string, selection: SelectionName): Promise<void>;
  /**
   * Pastes `text` through the CLIPBOARD: set, ctrl+v, and the previous text
   * put back once the app fetched it (src/desktop/x11/clipboard.ts).
   */
  paste(text: string, signal?: AbortSignal): Promise<void>;
  /** Types any Unicode text; stops between characters when `signal` aborts. */
  type(text: string, signal?: AbortSignal): Promise<void>;
  /**
   * Starts recording the screen (see RecordOptions); starts the desktop if
   * needed. Resolves once the encoder captures (the thumbnail exists or the
   * CLI said "recording:"). Throws DesktopUnavailableError when the encoder
   * cannot start.
   */
  record(opts: RecordOptions): Promise<Recorder>;
  /** Stops everything started; idempotent. Later calls throw DesktopClosedError. */
  close(): Promise<void>;
}
