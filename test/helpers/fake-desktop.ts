/**
 * A Desktop that records every call instead of driving a screen, for specs of
 * the API layer (the request -> Desktop mapping, defaults, outputs, errors).
 * The pointer follows move/click/drag/scroll so `cursor` answers are real;
 * `capture` returns a frame of one colour; `changes` is a real change log a
 * spec feeds; `failNext` makes a method throw.
 */
import { PassThrough } from "node:stream";
import type { CaptureOptions, Desktop, DisplayConfig, Frame, MouseButton, Recorder, RecordOptions } from "../../src/desktop/desktop.js";
import { DesktopUnavailableError } from "../../src/desktop/errors.js";
import type { Point, Size } from "../../src/desktop/geometry.js";
import type { Key } from "../../src/desktop/keys.js";
import { ChangeLog, type ChangeSource, type ScreenChanges } from "../../src/desktop/screen-changes.js";
import type { SelectionName } from "../../src/desktop/x11/clipboard.js";
import type { WindowInfo } from "../../src/desktop/x11/windows.js";

export interface Call {
  method: keyof Desktop;
  args: unknown[];
}

export class FakeDesktop implements Desktop {
  readonly backend = "fake";
  readonly calls: Call[] = [];
  pointer: Point = { x: 0, y: 0 };
  /** RGB of every captured pixel; change it to make the next frame differ. */
  colour: [number, number, number] = [32, 32, 32];
  /** The screen's change log: a spec `record`s changes into it to play an application redrawing. */
  readonly changes: ChangeLog;
  private failures = new Map<keyof Desktop, unknown>();
  /** What `stalled()` answers: set it to play a desktop that stopped answering. */
  stalledReason?: string;

  constructor(
    readonly native: Size = { width: 1920, height: 1080 },
    source: ChangeSource = "damage",
  ) {
    this.changes = new ChangeLog({ source });
  }

  /** The next call of `method` throws `err`. */
  failNext(method: keyof Desktop, err: unknown): void {
    this.failures.set(method, err);
  }

  /** Calls of `method` so far, their arguments. */
  argsOf(method: keyof Desktop): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  /** The methods called so far, in order. */
  get methods(): string[] {
    return this.calls.map((c) => c.method);
  }

  private note(method: keyof Desktop, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const err = this.failures.get(method);
    if (err !== undefined) {
      this.failures.delete(method);
      throw err;
    }
  }

  stalled(): string | undefined {
    return this.stalledReason;
  }

  async launchApplication(argv: string[], opts?: { cwd?: string; env?: Record<string, string> }): Promise<{ pid: number }> {
    this.note("launchApplication", argv, opts);
    return { pid: 4242 };
  }

  /** The fake's selections. */
  readonly selections = new Map<SelectionName, string>();

  async getClipboard(selection: SelectionName): Promise<string> {
    this.note("getClipboard", selection);
    return this.selections.get(selection) ?? "";
  }

  async setClipboard(text: string, selection: SelectionName): Promise<void> {
    this.note("setClipboard", text.length, selection);
    this.selections.set(selection, text);
  }

  async paste(text: string): Promise<void> {
    this.note("paste", text.length);
  }

  /** What `windows()` answers. */
  windowList: WindowInfo[] = [];

  async windows(): Promise<WindowInfo[]> {
    this.note("windows");
    return this.windowList;
  }

  async activateWindow(id: number): Promise<void> {
    this.note("activateWindow", id);
  }

  async closeWindow(id: number, killAfterMs: number): Promise<{ killed: boolean }> {
    this.note("closeWindow", id, killAfterMs);
    return { killed: false };
  }

  async start(): Promise<DisplayConfig> {
    this.note("start");
    return { native: this.native, backend: this.backend };
  }

  async connectVnc(): Promise<PassThrough> {
    this.note("connectVnc");
    return new PassThrough();
  }

  async capture(opts: CaptureOptions = {}): Promise<Frame> {
    this.note("capture", opts);
    const { width, height } = opts.region ?? { width: this.native.width, height: this.native.height };
    const data = Buffer.alloc(width * height * 3);
    for (let i = 0; i < data.length; i += 3) data.set(this.colour, i);
    return { data, width, height, channels: 3, capturedAt: new Date() };
  }

  async cursorPosition(): Promise<Point> {
    this.note("cursorPosition");
    return { ...this.pointer };
  }

  async move(p: Point): Promise<void> {
    this.note("move", p);
    this.pointer = p;
  }

  async click(button: MouseButton, count: number, at?: Point, modifiers: Key[] = []): Promise<void> {
    this.note(
      "click",
      button,
      count,
      at,
      modifiers.map((k) => k.name),
    );
    if (at) this.pointer = at;
  }

  async buttonDown(button: MouseButton): Promise<void> {
    this.note("buttonDown", button);
  }

  async buttonUp(button: MouseButton): Promise<void> {
    this.note("buttonUp", button);
  }

  async scroll(at: Point | undefined, dx: number, dy: number, modifiers: Key[] = []): Promise<void> {
    this.note(
      "scroll",
      at,
      dx,
      dy,
      modifiers.map((k) => k.name),
    );
    if (at) this.pointer = at;
  }

  async drag(from: Point, to: Point): Promise<void> {
    this.note("drag", from, to);
    this.pointer = to;
  }

  async keyPress(combo: Key[]): Promise<void> {
    this.note(
      "keyPress",
      combo.map((k) => k.name),
    );
  }

  async keyDown(combo: Key[]): Promise<void> {
    this.note(
      "keyDown",
      combo.map((k) => k.name),
    );
  }

  async keyUp(combo: Key[]): Promise<void> {
    this.note(
      "keyUp",
      combo.map((k) => k.name),
    );
  }

  async screenChanges(): Promise<ScreenChanges> {
    this.note("screenChanges");
    return this.changes;
  }

  async type(text: string): Promise<void> {
    this.note("type", text);
  }

  /** Recording needs a real encoder: the fake refuses, as a desktop whose encoder cannot start does. */
  async record(opts: RecordOptions): Promise<Recorder> {
    this.note("record", opts);
    throw new DesktopUnavailableError("the fake desktop cannot record");
  }

  async close(): Promise<void> {
    this.note("close");
  }
}
