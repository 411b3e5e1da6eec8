/**
 * A test X client on the desktop under test: override-redirect windows of a
 * known colour that record the input events they receive (button numbers,
 * root positions in native pixels, keysyms with modifier state).
 */
import { after, before, beforeEach } from "node:test";
import x11, { type Display, type XClient, type XEvent } from "x11";
import { call } from "../../src/desktop/x11/connection.js";

export interface RecordedEvent {
  type: "ButtonPress" | "ButtonRelease" | "KeyPress" | "KeyRelease" | "MotionNotify";
  /** Button number, or keycode for key events. */
  detail: number;
  rootX: number;
  rootY: number;
  /** Modifier/button state mask before the event (Shift 1, Control 4, Mod1 8). */
  state: number;
  at: number;
}

export const SHIFT_MASK = 1;
export const CONTROL_MASK = 4;

/** A plain X client of the spec's own on `display` (MIT-MAGIC-COOKIE-1 `cookie`, latin1). */
export function connectX(display: string, cookie: string): Promise<Display> {
  return new Promise<Display>((resolve, reject) => {
    const c = x11.createClient({ display, auth: { name: "MIT-MAGIC-COOKIE-1", data: cookie } }, (e, dpy) => (e ? reject(e) : resolve(dpy)));
    c.once("error", reject);
  });
}

export class TestWindows {
  readonly events: RecordedEvent[] = [];
  /** Called with every recorded event as it comes. */
  onEvent?: (e: RecordedEvent) => void;
  private constructor(
    private readonly X: XClient,
    private readonly display: Display,
  ) {}

  static async open(display: string, cookie: string): Promise<TestWindows> {
    const d = await connectX(display, cookie);
    const t = new TestWindows(d.client, d);
    const names: Record<number, RecordedEvent["type"]> = {
      2: "KeyPress",
      3: "KeyRelease",
      4: "ButtonPress",
      5: "ButtonRelease",
      6: "MotionNotify",
    };
    d.client.on("event", (ev: XEvent) => {
      const type = names[ev.type];
      if (!type) return;
      const e = { type, detail: ev.keycode, rootX: ev.rootx, rootY: ev.rooty, state: ev.buttons, at: Date.now() };
      t.events.push(e);
      t.onEvent?.(e);
    });
    return t;
  }

  /**
   * Maps an override-redirect window filled with `rgb` (0xRRGGBB), listening
   * for input when `record`; with `focus`, key events go to it. With
   * `grabKeyboard`, key events go to it whatever the window manager does with
   * the focus (an active grab), for backends whose WM may still be starting.
   */
  async window(
    x: number,
    y: number,
    width: number,
    height: number,
    rgb: number,
    opts: { record?: boolean; focus?: boolean; grabKeyboard?: boolean } = {},
  ): Promise<number> {
    const X = this.X;
    const root = this.display.screen[0].root;
    const wid = X.AllocID();
    const ev = x11.eventMask;
    const eventMask = opts.record
      ? ev.KeyPress | ev.KeyRelease | ev.ButtonPress | ev.ButtonRelease | ev.PointerMotion | ev.Exposure
      : ev.Exposure;
    X.CreateWindow(wid, root, x, y, width, height, 0, 0, 0, 0, { backgroundPixel: rgb, overrideRedirect: true, eventMask });
    X.MapWindow(wid);
    X.RaiseWindow(wid);
    if (opts.focus) X.SetInputFocus(wid, 1 /* RevertToPointerRoot */);
    await this.sync();
    if (opts.grabKeyboard) await this.grabKeyboard(wid);
    return wid;
  }

  /** Actively grabs the keyboard for `wid` (retrying while another client holds a grab). */
  private async grabKeyboard(wid: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      // ownerEvents false, time CurrentTime, pointer and keyboard GrabModeAsync.
      const status = await call<number>((cb) => this.X.GrabKeyboard(wid, 0, 0, 1, 1, cb));
      if (status === 0) return;
      if (attempt >= 50) throw new Error(`GrabKeyboard failed with status ${status}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Plays an application that opens a window when clicked: after the first
   * ButtonPress recorded from now on, waits `delayMs`, maps a window at
   * `rect`, then repaints it with each colour of `paints` every `stepMs`.
   * Resolves with the time (performance.now) of the last paint.
   */
  opensOnClick(
    rect: { x: number; y: number; width: number; height: number },
    paints: number[],
    opts: { delayMs: number; stepMs: number },
  ): Promise<number> {
    const from = this.events.length;
    return new Promise((resolve) => {
      const poll = setInterval(async () => {
        if (!this.events.slice(from).some((e) => e.type === "ButtonPress")) return;
        clearInterval(poll);
        await new Promise((r) => setTimeout(r, opts.delayMs));
        const wid = await this.window(rect.x, rect.y, rect.width, rect.height, paints[0]);
        for (const rgb of paints.slice(1)) {
          await new Promise((r) => setTimeout(r, opts.stepMs));
          await this.recolor(wid, rgb);
        }
        resolve(performance.now());
      }, 2);
    });
  }

  /** Destroys a window made by `window`. */
  destroy(wid: number): void {
    this.X.DestroyWindow(wid);
  }

  /** Repaints a window with a new background colour. */
  async recolor(wid: number, rgb: number): Promise<void> {
    this.X.ChangeWindowAttributes(wid, { backgroundPixel: rgb });
    this.X.ClearArea(wid, 0, 0, 0, 0, 0);
    await this.sync();
  }

  async sync(): Promise<void> {
    await call((cb) => this.X.GetInputFocus(cb));
  }

  /** The window that has the input focus (0 None, 1 PointerRoot). */
  async focus(): Promise<number> {
    return (await call<{ focus: number }>((cb) => this.X.GetInputFocus(cb))).focus;
  }

  /** What the server has held down now: keycodes (QueryKeymap) and the pointer buttons' state bits (QueryPointer, Button1Mask 0x100 up). */
  async held(): Promise<{ keycodes: number[]; buttons: number }> {
    const bits = await call<Buffer>((cb) =>
      (this.X as unknown as { QueryKeymap(cb: (e: unknown, b: Buffer) => void): void }).QueryKeymap(cb),
    );
    const keycodes: number[] = [];
    for (let k = 8; k < 256; k++) if (bits[k >> 3] & (1 << (k & 7))) keycodes.push(k);
    const root = this.display.screen[0].root;
    const p = await call<{ keyMask: number }>((cb) => this.X.QueryPointer(root, cb));
    return { keycodes, buttons: p.keyMask & 0x1f00 };
  }

  /** Keysym of a key event, read through the current keyboard mapping. */
  async keysym(e: RecordedEvent): Promise<number> {
    const [row] = await call<number[][]>((cb) => this.X.GetKeyboardMapping(e.detail, 1, cb));
    const shifted = (e.state & SHIFT_MASK) !== 0 && row[1] !== 0;
    return shifted ? row[1] : row[0];
  }

  /** Waits until `pred` holds for the recorded events (events arrive asynchronously). */
  async waitFor(pred: (evs: RecordedEvent[]) => boolean, timeoutMs = 3000): Promise<RecordedEvent[]> {
    const end = Date.now() + timeoutMs;
    while (!pred(this.events)) {
      if (Date.now() > end) {
        const events = JSON.stringify(this.events.map((e) => [e.type, e.detail, e.rootX, e.rootY, e.state]));
        throw new Error(`timed out; input focus ${await this.focus()}; events: ${events}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.events;
  }

  clear(): void {
    this.events.length = 0;
  }

  close(): void {
    this.X.terminate();
  }
}

/** The recording window the input specs act on: full screen, focused, with the keyboard grabbed. */
export interface RecordingScreen {
  (): TestWindows;
  /** Joins the desktop again (after a Reset disconnected this client or started a new X server). */
  reopen(): Promise<void>;
}

/**
 * A full-screen window that records what the X server delivers, on the
 * suite's desktop (`endpoint`, read in `before`: register it after the
 * server's helper). Registers its own setup and teardown, and clears the
 * events before each spec.
 */
export function useRecordingScreen(endpoint: () => { display: string; cookie: string }): RecordingScreen {
  let w: TestWindows | undefined;
  const open = async () => {
    const ep = endpoint();
    w = await TestWindows.open(ep.display, ep.cookie);
    await w.window(0, 0, 1920, 1080, 0x202020, { record: true, focus: true, grabKeyboard: true });
  };
  before(open);
  after(() => w?.close());
  beforeEach(() => w?.clear());
  const screen = () => {
    if (!w) throw new Error("useRecordingScreen: not open yet (use it inside a test)");
    return w;
  };
  return Object.assign(screen, {
    reopen: async () => {
      w?.close();
      await open();
    },
  });
}
