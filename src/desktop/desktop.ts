/**
 * The desktop contract. A DesktopHost (one per service) owns the desktop's
 * life: it starts one on first use, replaces one that died or stalled for
 * good, and stops it at close. It hands out DesktopSessions: a session is one
 * running desktop, and a call takes one at its start and uses only it. Every
 * method of a session talks to that desktop's X server (or CLI session); once
 * the desktop died, was replaced or closed (`lost` aborts), they fail
 * UNAVAILABLE and nothing of the call reaches a replacement.
 *
 * Coordinates are native pixels; the declared (model-facing) space belongs to
 * the API layer (src/server/rpc/action.ts).
 *
 * Errors (src/desktop/errors.ts): InvalidInputError (bad input),
 * DesktopUnavailableError (cannot start or reach the desktop;
 * DesktopStalledError when it stopped answering within the request limit),
 * DesktopClosedError (after close), UnimplementedError (what a backend cannot
 * do here), anything else is internal. No method leaves a key or button held
 * when it fails part-way.
 *
 * Input methods take the call's `signal`: input goes out only while it has
 * not aborted and only to a desktop that has just answered, so the input of a
 * failed, cancelled or expired call is never carried out later. Releases
 * (`buttonUp`, `keyUp`) take none: they always go out.
 */
import type { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";
import type { Frame } from "./frame.js";
import type { Point, Rect, Size } from "./geometry.js";
import type { InputKind } from "./input-order.js";
import type { Key } from "./keys.js";
import type { ScreenChanges, SettleOptions, SettleOutcome } from "./screen-changes.js";

export type MouseButton = "left" | "middle" | "right";

/** Native framebuffer size of a desktop when none is asked for, pixels. */
export const DEFAULT_GEOMETRY: Size = { width: 1920, height: 1080 };

export interface CaptureOptions {
  /** Native-pixel region; whole screen when unset. Must lie on the screen. */
  region?: Rect;
  /** Draw the pointer into the frame. */
  includeCursor?: boolean;
  /**
   * The size the frame is for (pixels), when it will be scaled: a backend
   * that keeps a scaled copy may return the frame at this size (the frame
   * says its size); the encoder scales the others.
   */
  size?: Size;
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

/** Mouse and keyboard of one desktop (native pixels). */
export interface DesktopInput {
  /** Absolute pointer move. */
  move(p: Point, signal?: AbortSignal): Promise<void>;
  /** Clicks `button` `count` times at `at` (current position when unset), with `modifiers` held down for the duration. */
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
  /** Types any Unicode text, whatever the Caps Lock state; stops between characters when `signal` aborts. */
  type(text: string, signal?: AbortSignal): Promise<void>;
}

/** A top-level window as the window manager sees it (src/desktop/x11/windows.ts). */
export interface WindowInfo {
  id: number;
  title: string;
  /** WM_CLASS class part. */
  className: string;
  /** The owning client's pid as the X server knows it (X-Resource); _NET_WM_PID without X-Resource; 0 when unknown. */
  pid: number;
  /** Client area, native pixels. */
  geometry: Rect;
  focused: boolean;
  minimized: boolean;
}

/** The managed windows (EWMH); UnimplementedError where they cannot be read. */
export interface WindowControl {
  list(): Promise<WindowInfo[]>;
  /** Raises and focuses managed window `id`; NotFoundError when it is not one. */
  activate(id: number): Promise<void>;
  /**
   * Asks managed window `id` to close; with `killAfterMs` > 0, SIGKILL to its
   * owner (as the X server knows it) if it is still there then, only when the
   * desktop started that process (FailedPreconditionError otherwise).
   * NotFoundError when it is not a managed window.
   */
  close(id: number, killAfterMs: number): Promise<{ killed: boolean }>;
}

export type SelectionName = "CLIPBOARD" | "PRIMARY";

/** Largest text the clipboard sets or reads, bytes of UTF-8. */
export const MAX_CLIPBOARD_BYTES = 1024 * 1024;

/** The X selections as text (src/desktop/x11/clipboard.ts); UnimplementedError where the display cannot be joined. */
export interface ClipboardControl {
  /**
   * The text on `selection`; "" when nobody owns it. ResourceExhaustedError
   * over MAX_CLIPBOARD_BYTES; a read ends within 3 s (DesktopUnavailableError)
   * or when `signal` aborts.
   */
  get(selection: SelectionName, signal?: AbortSignal): Promise<string>;
  /** Puts `text` (UTF-8, at most MAX_CLIPBOARD_BYTES: the caller checks) on `selection`. */
  set(text: string, selection: SelectionName): Promise<void>;
}

/** One part of a Reset: what it did and how long it took, ms. */
export interface ResetPart {
  name: string;
  ms: number;
  detail: string;
}

/** What a Reset did (DesktopHost.reset). */
export interface ResetOutcome {
  /** The desktop from now on. */
  session: DesktopSession;
  /** A new X server was started: asked for, or the old desktop could not be cleaned (`why`). */
  newServer: boolean;
  why?: string;
  /** The parts before and after `whileStopped`, in order. */
  before: ResetPart[];
  after: ResetPart[];
}

/** How another X client joins a desktop's display (specs, diagnostics). */
export interface DisplayEndpoint {
  /** ":N". */
  display: string;
  /** MIT-MAGIC-COOKIE-1 (latin1); "" when the server takes none. */
  cookie: string;
  /** Xauthority file holding the cookie, when there is one. */
  xauthority?: string;
}

/** One running desktop; see the module comment. */
export interface DesktopSession {
  /** Framebuffer size, native pixels. */
  readonly native: Size;
  readonly endpoint: DisplayEndpoint;
  /** Aborts, with a DesktopUnavailableError, once this desktop died, was replaced or closed. */
  readonly lost: AbortSignal;
  /** How the screen changes (src/desktop/screen-changes.ts). */
  readonly changes: ScreenChanges;
  readonly input: DesktopInput & {
    /**
     * Pastes `text` through the CLIPBOARD: set, ctrl+v, and the previous text
     * put back once the app fetched it.
     */
    paste(text: string, signal?: AbortSignal): Promise<void>;
  };
  readonly windows: WindowControl;
  readonly clipboard: ClipboardControl;
  /**
   * Runs `act` (input of `kind`) in order with earlier input of the other
   * kind (src/desktop/input-order.ts: the app's reaction is waited for).
   * Rejects with `signal.reason` when it aborts while waiting.
   */
  ordered<T>(kind: InputKind, signal: AbortSignal, act: () => Promise<T>): Promise<T>;
  /** Waits until the screen has settled (src/desktop/screen-changes.ts); UNAVAILABLE once the desktop is lost. */
  settle(opts: SettleOptions): Promise<SettleOutcome>;
  /** Reads the framebuffer (native pixels). */
  capture(opts?: CaptureOptions): Promise<Frame>;
  /** Pointer position, native pixels. */
  cursorPosition(): Promise<Point>;
  /** A new raw RFB byte stream to the desktop's VNC server (shared). */
  connectVnc(): Promise<Duplex>;
  /**
   * Starts `argv` (no shell) on the desktop in its own process group, stopped
   * with the desktop; `cwd` (absolute, default the home directory) and extra
   * `env`. NotFoundError when argv[0] cannot be found.
   */
  launch(argv: string[], opts?: { cwd?: string; env?: Record<string, string> }): Promise<{ pid: number }>;
  /**
   * Starts recording the screen (see RecordOptions). Resolves once the
   * encoder captures. DesktopUnavailableError when it cannot start.
   */
  record(opts: RecordOptions): Promise<Recorder>;
  /** Why this desktop is not answering (src/desktop/stall.ts), or undefined while it answers. */
  stalled(): string | undefined;
  /** Process ids of the desktop's own processes, the X server first (diagnostics). */
  readonly pids: number[];
}

/** The desktop's owner; see the module comment. */
export interface DesktopHost {
  /** Backend name reported by GetDisplay: "builtin" or "portabledesktop". */
  readonly backend: string;
  /**
   * The running desktop, started first when none runs and replaced first when
   * it died. DesktopClosedError after close; `signal.reason` when it aborts
   * while a desktop starts.
   */
  session(signal?: AbortSignal): Promise<DesktopSession>;
  /** The running desktop, if one runs and is not known to be dead; never starts one. */
  current(): DesktopSession | undefined;
  /** Why the running desktop is not answering, or undefined (health reports NOT_SERVING meanwhile). */
  stalled(): string | undefined;
  /** Whether a call would find a desktop ready for input now, and why not (readiness probes); never starts one. */
  readiness(): Readiness;
  /**
   * Makes the desktop clean for the next task: in place where the backend
   * can (the same X server, its programs stopped and its state made fresh),
   * or with `newServer` (and when cleaning in place fails) a new desktop
   * (a fresh X server, the `--open` apps started again). The old session's
   * calls and streams fail UNAVAILABLE ("... was reset"). `whileStopped`
   * runs when no program of the desktop runs (but the window manager, in
   * place). Resolves once the desktop takes input, with each part timed.
   * DesktopClosedError after close; DesktopUnavailableError when a new
   * desktop cannot start.
   */
  reset(whileStopped?: () => Promise<void>, opts?: { newServer?: boolean }): Promise<ResetOutcome>;
  /** How long the first desktop took to start, ms, once it has (for watchers that begin after it: the service starts the desktop before its server). */
  readonly firstStartMs?: number;
  /** Desktop starts and losses, as they happen (metrics, logs). */
  readonly events: EventEmitter<HostEvents>;
  /** Stops everything started; idempotent. Later calls throw DesktopClosedError. */
  close(): Promise<void>;
}

/**
 * A host's state for probes: `ready`, or why not. `starting`: the first
 * desktop is starting, or failed to start and waits for the next try;
 * `replacing`: a dead desktop is being replaced; `lost`: it died and nothing
 * replaces it yet; `stalled`: it runs but stopped answering; `closed`.
 */
export type Readiness = { ready: true } | { ready: false; state: "starting" | "replacing" | "lost" | "stalled" | "closed"; reason: string };

/** What a DesktopHost reports as it happens. */
export interface HostEvents {
  /** A desktop started, in `ms`; `replacement` when one before it died or stalled for good. */
  started: [{ ms: number; replacement: boolean }];
  /** A desktop failed to start, in `ms`; `replacement` as for `started`. */
  failed: [{ ms: number; reason: string; replacement: boolean }];
  /** The running desktop died or stalled for good (it will be replaced). */
  lost: [{ reason: string }];
}
