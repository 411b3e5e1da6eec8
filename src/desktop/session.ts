/**
 * One running desktop as calls see it (the contract's DesktopSession), the
 * same for both backends. A backend's driver gives the desktop's own parts
 * (its input, frames, VNC server, recorder, the joined X display); this adds
 * the rules every backend shares:
 *
 * - `lost`: once the host learns that the desktop died, was replaced or
 *   closed, every method fails UNAVAILABLE at once, naming why, and sends
 *   nothing. A driver's connections and CLI state belong to its desktop
 *   alone, so input in flight never reaches a replacement either.
 * - input order and settle over this desktop's change log
 *   (src/desktop/input-order.ts): a new desktop starts with a fresh history.
 * - paste through the clipboard (set, ctrl+v, the previous text put back).
 * - windows and the clipboard through the joined display, or UNIMPLEMENTED
 *   with the backend's reason where it cannot be joined.
 */
import type { Duplex } from "node:stream";
import type {
  CaptureOptions,
  ClipboardControl,
  DesktopInput,
  DesktopSession,
  DisplayEndpoint,
  Recorder,
  RecordOptions,
  WindowControl,
} from "./desktop.js";
import { DesktopUnavailableError, UnimplementedError } from "./errors.js";
import type { Frame } from "./frame.js";
import type { Point, Size } from "./geometry.js";
import { INPUT_ORDER_DEFAULTS, type InputKind, InputOrder, type InputOrderOptions } from "./input-order.js";
import type { ScreenChanges, SettleOptions, SettleOutcome } from "./screen-changes.js";
import type { StallWatch } from "./stall.js";
import { PASTE_KEYS } from "./x11/clipboard.js";

/** What the joined X display gives a session (src/desktop/x11/x11-session.ts). */
export interface JoinedDisplay {
  readonly clipboard: ClipboardControl & { paste(text: string, press: () => Promise<void>): Promise<void> };
  /** The window requests; CloseWindow kills only what `mayKill` allows. */
  windows(mayKill: (pid: number) => boolean): WindowControl;
}

/** The programs a session starts (src/desktop/apps.ts). */
export interface AppControl {
  launch(argv: string[], opts?: { cwd?: string; env?: Record<string, string> }): Promise<{ pid: number }>;
  /** Whether process `pid` is one the desktop started. */
  owns(pid: number): boolean;
}

/** What a backend gives a session: one desktop's own parts. */
export interface SessionDriver {
  readonly native: Size;
  readonly endpoint: DisplayEndpoint;
  readonly changes: ScreenChanges;
  readonly input: DesktopInput;
  /** The joined X display, or why it cannot be joined (windows and the clipboard are UNIMPLEMENTED then). */
  readonly x11: JoinedDisplay | string;
  readonly apps: AppControl;
  readonly stall: StallWatch;
  /** The desktop's own processes, the X server first. */
  readonly pids: number[];
  capture(opts?: CaptureOptions): Promise<Frame>;
  cursorPosition(): Promise<Point>;
  connectVnc(): Promise<Duplex>;
  record(opts: RecordOptions): Promise<Recorder>;
}

export interface SessionOptions {
  /** How input is kept in order (src/desktop/input-order.ts); `false` never waits. */
  inputOrder?: InputOrderOptions | false;
}

export class Session implements DesktopSession {
  private readonly dead = new AbortController();
  private readonly order: InputOrder;
  readonly input: DesktopSession["input"];
  readonly windows: WindowControl;
  readonly clipboard: ClipboardControl;

  constructor(
    /** The backend's parts; specs and diagnostics reach backend-specific facts through it. */
    readonly driver: SessionDriver,
    opts: SessionOptions = {},
  ) {
    this.order = new InputOrder(driver.changes, opts.inputOrder ?? INPUT_ORDER_DEFAULTS);
    const d = driver.input;
    const live = this.live.bind(this);
    this.input = {
      move: (p, signal) => live(() => d.move(p, signal)),
      click: (button, count, at, modifiers, signal) => live(() => d.click(button, count, at, modifiers, signal)),
      buttonDown: (button, signal) => live(() => d.buttonDown(button, signal)),
      // Releases always go out: to this desktop's own connection, never to another.
      buttonUp: (button) => d.buttonUp(button),
      scroll: (at, dx, dy, modifiers, signal) => live(() => d.scroll(at, dx, dy, modifiers, signal)),
      drag: (from, to, signal) => live(() => d.drag(from, to, signal)),
      keyPress: (combo, signal) => live(() => d.keyPress(combo, signal)),
      keyDown: (combo, signal) => live(() => d.keyDown(combo, signal)),
      keyUp: (combo) => d.keyUp(combo),
      type: (text, signal) => live(() => d.type(text, signal)),
      paste: (text, signal) => live(() => this.x11("paste").clipboard.paste(text, () => d.keyPress(PASTE_KEYS, signal))),
    };
    this.windows = {
      list: () => live(() => this.x11("windows").windows(this.owns).list()),
      activate: (id) => live(() => this.x11("windows").windows(this.owns).activate(id)),
      close: (id, killAfterMs) => live(() => this.x11("windows").windows(this.owns).close(id, killAfterMs)),
    };
    this.clipboard = {
      get: (selection, signal) => live(() => this.x11("clipboard").clipboard.get(selection, signal)),
      set: (text, selection) => live(() => this.x11("clipboard").clipboard.set(text, selection)),
    };
  }

  private readonly owns = (pid: number) => this.driver.apps.owns(pid);

  get native(): Size {
    return this.driver.native;
  }

  get endpoint(): DisplayEndpoint {
    return this.driver.endpoint;
  }

  get changes(): ScreenChanges {
    return this.driver.changes;
  }

  get pids(): number[] {
    return this.driver.pids;
  }

  get lost(): AbortSignal {
    return this.dead.signal;
  }

  /** The host's word: this desktop is gone (`why`: "died: Xvnc exited", "was replaced", "closed"). */
  markLost(why: string): void {
    if (!this.dead.signal.aborted) this.dead.abort(new DesktopUnavailableError(`the desktop (X display ${this.endpoint.display}) ${why}`));
  }

  /** `act`, unless this desktop is lost: then its reason, at once. */
  private live<T>(act: () => Promise<T>): Promise<T> {
    if (this.dead.signal.aborted) return Promise.reject(this.dead.signal.reason);
    return act();
  }

  /** The joined display, or UnimplementedError with the backend's reason. */
  private x11(what: string): JoinedDisplay {
    if (typeof this.driver.x11 === "string") throw new UnimplementedError(`${what}: ${this.driver.x11}`);
    return this.driver.x11;
  }

  /** The call's signal, ending also when this desktop is lost. */
  private bound(signal?: AbortSignal): AbortSignal {
    return signal ? AbortSignal.any([signal, this.dead.signal]) : this.dead.signal;
  }

  async ordered<T>(kind: InputKind, signal: AbortSignal, act: () => Promise<T>): Promise<T> {
    await this.live(() => this.order.before(kind, this.bound(signal)));
    try {
      return await act();
    } finally {
      this.order.after(kind);
    }
  }

  settle(opts: SettleOptions): Promise<SettleOutcome> {
    return this.live(() => this.driver.changes.settle({ ...opts, signal: this.bound(opts.signal) }));
  }

  capture(opts?: CaptureOptions): Promise<Frame> {
    return this.live(() => this.driver.capture(opts));
  }

  cursorPosition(): Promise<Point> {
    return this.live(() => this.driver.cursorPosition());
  }

  connectVnc(): Promise<Duplex> {
    return this.live(() => this.driver.connectVnc());
  }

  launch(argv: string[], opts?: { cwd?: string; env?: Record<string, string> }): Promise<{ pid: number }> {
    return this.live(() => this.driver.apps.launch(argv, opts));
  }

  record(opts: RecordOptions): Promise<Recorder> {
    return this.live(() => this.driver.record(opts));
  }

  stalled(): string | undefined {
    return this.driver.stall.stalled;
  }
}
