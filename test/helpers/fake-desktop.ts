/**
 * A desktop that records every call instead of driving a screen, for specs of
 * the API layer (the request -> desktop mapping, defaults, outputs, errors):
 * a SessionDriver behind the real Session and SessionHost, so the session's
 * rules (input order, settle, lost desktops) are the real ones. The pointer
 * follows move/click/drag/scroll so `cursor` answers are real; `capture`
 * returns a frame of one colour; `changes` is a real change log a spec feeds,
 * on the clock the spec gives; `failNext` makes a method throw.
 */
import { PassThrough } from "node:stream";
import type {
  CaptureOptions,
  DesktopInput,
  MouseButton,
  Recorder,
  RecordOptions,
  SelectionName,
  WindowControl,
  WindowInfo,
} from "../../src/desktop/desktop.js";
import { DesktopUnavailableError } from "../../src/desktop/errors.js";
import type { Frame } from "../../src/desktop/frame.js";
import type { Point, Size } from "../../src/desktop/geometry.js";
import type { InputOrderOptions } from "../../src/desktop/input-order.js";
import type { Key } from "../../src/desktop/keys.js";
import { ChangeLog, type ChangeSource } from "../../src/desktop/screen-changes.js";
import type { AppControl, JoinedDisplay, SessionDriver } from "../../src/desktop/session.js";
import { SessionHost } from "../../src/desktop/session-host.js";
import { StallWatch } from "../../src/desktop/stall.js";
import { type Clock, systemClock } from "../../src/os/clock.js";
import { testLogger } from "./server.js";

export interface Call {
  method: string;
  args: unknown[];
  /** When it came, the fake's clock ms. */
  at: number;
}

export class FakeDesktop implements SessionDriver {
  readonly calls: Call[] = [];
  pointer: Point = { x: 0, y: 0 };
  /** RGB of every captured pixel; change it to make the next frame differ. */
  colour: [number, number, number] = [32, 32, 32];
  /** The screen's change log: a spec `record`s changes into it to play an application redrawing. */
  readonly changes: ChangeLog;
  readonly endpoint = { display: ":fake", cookie: "" };
  readonly pids: number[] = [];
  readonly stall: StallWatch;
  readonly input: DesktopInput;
  readonly x11: JoinedDisplay;
  readonly apps: AppControl;
  private failures = new Map<string, unknown>();
  /** The fake's selections. */
  readonly selections = new Map<SelectionName, string>();
  /** What the window list answers. */
  windowList: WindowInfo[] = [];

  constructor(
    readonly native: Size = { width: 1920, height: 1080 },
    source: ChangeSource = "damage",
    readonly clock: Clock = systemClock,
  ) {
    this.changes = new ChangeLog({ source, clock });
    this.stall = new StallWatch(clock);
    const note = this.note.bind(this);
    const names = (keys: Key[]) => keys.map((k) => k.name);
    this.input = {
      move: async (p) => {
        note("move", p);
        this.pointer = p;
      },
      click: async (button: MouseButton, count: number, at?: Point, modifiers: Key[] = []) => {
        note("click", button, count, at, names(modifiers));
        if (at) this.pointer = at;
      },
      buttonDown: async (button) => note("buttonDown", button),
      buttonUp: async (button) => note("buttonUp", button),
      scroll: async (at, dx, dy, modifiers: Key[] = []) => {
        note("scroll", at, dx, dy, names(modifiers));
        if (at) this.pointer = at;
      },
      drag: async (from, to) => {
        note("drag", from, to);
        this.pointer = to;
      },
      keyPress: async (combo) => note("keyPress", names(combo)),
      keyDown: async (combo) => note("keyDown", names(combo)),
      keyUp: async (combo) => note("keyUp", names(combo)),
      type: async (text) => note("type", text),
    };
    const windows: WindowControl = {
      list: async () => {
        note("windows");
        return this.windowList;
      },
      activate: async (id) => note("activateWindow", id),
      close: async (id, killAfterMs) => {
        note("closeWindow", id, killAfterMs);
        return { killed: false };
      },
    };
    this.x11 = {
      clipboard: {
        get: async (selection) => {
          note("getClipboard", selection);
          return this.selections.get(selection) ?? "";
        },
        set: async (text, selection) => {
          note("setClipboard", text.length, selection);
          this.selections.set(selection, text);
        },
        paste: async (text) => note("paste", text.length),
      },
      windows: () => windows,
    };
    this.apps = {
      launch: async (argv, opts) => {
        note("launchApplication", argv, opts);
        return { pid: 4242 };
      },
      owns: () => false,
    };
  }

  /** The next call of `method` throws `err` ("start": the next launch of the desktop fails). */
  failNext(method: string, err: unknown): void {
    this.failures.set(method, err);
  }

  /** Calls of `method` so far, their arguments. */
  argsOf(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  /** The methods called so far, in order. */
  get methods(): string[] {
    return this.calls.map((c) => c.method);
  }

  /** Plays a desktop that stopped answering (`reason`), or answers again (undefined). */
  set stalledReason(reason: string | undefined) {
    if (reason === undefined) this.stall.answered();
    else this.stall.missed(reason);
  }

  note(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args, at: this.clock.now() });
    const err = this.failures.get(method);
    if (err !== undefined) {
      this.failures.delete(method);
      throw err;
    }
  }

  async connectVnc(): Promise<PassThrough> {
    this.note("connectVnc");
    return new PassThrough();
  }

  /** Called after each capture is noted (a spec may change the screen there). */
  afterCapture?: () => void;

  /** How long (the fake's clock ms) a capture takes (0 or unset: at once). */
  captureMs?: () => number;

  async capture(opts: CaptureOptions = {}): Promise<Frame> {
    this.note("capture", opts);
    this.afterCapture?.();
    const ms = this.captureMs?.() ?? 0;
    if (ms > 0) await this.clock.sleep(ms);
    const { width, height } = opts.region ?? { width: this.native.width, height: this.native.height };
    const data = Buffer.alloc(width * height * 3);
    for (let i = 0; i < data.length; i += 3) data.set(this.colour, i);
    return { data, width, height, channels: 3, capturedAt: new Date() };
  }

  async cursorPosition(): Promise<Point> {
    this.note("cursorPosition");
    return { ...this.pointer };
  }

  /** Recording needs a real encoder: the fake refuses, as a desktop whose encoder cannot start does. */
  async record(opts: RecordOptions): Promise<Recorder> {
    this.note("record", opts);
    throw new DesktopUnavailableError("the fake desktop cannot record");
  }
}

/** A host whose every desktop is `desktop` (launched again after a failed "start"). */
export function fakeHost(desktop: FakeDesktop, opts: { inputOrder?: InputOrderOptions | false } = {}): SessionHost<FakeDesktop> {
  return new SessionHost(
    "fake",
    {
      launch: async () => {
        desktop.note("start");
        return desktop;
      },
      stop: async () => desktop.note("close"),
    },
    { logger: testLogger(), inputOrder: opts.inputOrder ?? false },
  );
}
