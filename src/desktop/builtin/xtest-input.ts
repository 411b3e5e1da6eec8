/**
 * The built-in backend's mouse and keyboard: XTEST on the session's own X
 * connection (src/desktop/x11/xtest.ts), keysyms the keymap lacks lent spare
 * keycodes (src/desktop/x11/keymap.ts). Input goes out right after an
 * answered round trip and only while the call's signal has not aborted
 * (X11Connection.readyForInput); releases always go out. No process per
 * action.
 */
import type { Clock } from "../../os/clock.js";
import type { DesktopInput, MouseButton } from "../desktop.js";
import type { Point } from "../geometry.js";
import { CAPS_LOCK, type Key, keysymForCodePoint, LOCK_MASK } from "../keys.js";
import type { X11Connection } from "../x11/connection.js";
import type { XTest } from "../x11/xtest.js";
import { BUTTONS, MAPPING_GRACE_MS, MULTI_CLICK_GAP_MS, SHIFT_L, TYPE_BATCH, WHEEL } from "./options.js";

export class XTestInput implements DesktopInput {
  constructor(
    private readonly x: X11Connection,
    readonly xtest: XTest,
    private readonly clock: Clock,
  ) {}

  async move(p: Point, signal?: AbortSignal): Promise<void> {
    await this.x.readyForInput(signal);
    this.xtest.motion(p);
  }

  async click(button: MouseButton, count: number, at?: Point, modifiers: Key[] = [], signal?: AbortSignal): Promise<void> {
    const { x, xtest } = this;
    // Resolve every keycode first: after the first press nothing may fail.
    const mods = await this.locate(modifiers);
    await x.readyForInput(signal);
    if (at) xtest.motion(at);
    xtest.pressKeys(mods);
    try {
      for (let i = 0; i < count; i++) {
        if (i > 0) {
          // Each click of a double or triple click handled before the next (xdotool waits 100 ms).
          await this.clock.sleep(MULTI_CLICK_GAP_MS, signal);
          await x.readyForInput(signal);
        }
        xtest.button(BUTTONS[button], true);
        xtest.button(BUTTONS[button], false);
      }
    } finally {
      xtest.releaseKeys(mods);
    }
  }

  async buttonDown(button: MouseButton, signal?: AbortSignal): Promise<void> {
    await this.x.readyForInput(signal);
    this.xtest.button(BUTTONS[button], true);
  }

  async buttonUp(button: MouseButton): Promise<void> {
    this.xtest.button(BUTTONS[button], false);
  }

  async scroll(at: Point | undefined, dx: number, dy: number, modifiers: Key[] = [], signal?: AbortSignal): Promise<void> {
    const { xtest } = this;
    const mods = await this.locate(modifiers);
    await this.x.readyForInput(signal);
    if (at) xtest.motion(at);
    xtest.pressKeys(mods);
    const notch = (button: number, n: number) => {
      for (let i = 0; i < n; i++) {
        xtest.button(button, true);
        xtest.button(button, false);
      }
    };
    notch(dy < 0 ? WHEEL.up : WHEEL.down, Math.abs(dy));
    notch(dx < 0 ? WHEEL.left : WHEEL.right, Math.abs(dx));
    xtest.releaseKeys(mods);
  }

  async drag(from: Point, to: Point, signal?: AbortSignal): Promise<void> {
    const { xtest } = this;
    await this.x.readyForInput(signal);
    xtest.motion(from);
    xtest.button(BUTTONS.left, true);
    // A midpoint lets toolkits that wait for motion past a threshold see a drag.
    xtest.motion({ x: Math.round((from.x + to.x) / 2), y: Math.round((from.y + to.y) / 2) });
    xtest.motion(to);
    xtest.button(BUTTONS.left, false);
  }

  async keyPress(combo: Key[], signal?: AbortSignal): Promise<void> {
    const codes = await this.locate(combo, true);
    await this.x.readyForInput(signal);
    this.xtest.pressKeys(codes);
    this.xtest.releaseKeys(codes);
  }

  async keyDown(combo: Key[], signal?: AbortSignal): Promise<void> {
    const codes = await this.locate(combo, true);
    await this.x.readyForInput(signal);
    this.xtest.pressKeys(codes);
  }

  async keyUp(combo: Key[]): Promise<void> {
    this.xtest.releaseKeys(await this.locate(combo, true));
  }

  /**
   * Types `text` run by run (src/desktop/x11/keymap.ts): the keysyms of a run
   * are lent keycodes in one mapping change, clients get MAPPING_GRACE_MS to
   * re-read the mapping, then the run's keys go out, at most TYPE_BATCH
   * keys per answered round trip (so a stall strands at most one batch).
   * Caps Lock would turn the letters' case (X11 protocol, section 5): it is
   * off while typing, then as it was.
   */
  async type(text: string, signal?: AbortSignal): Promise<void> {
    const { x, xtest } = this;
    if (((await x.pointer()).buttonMask & LOCK_MASK) === 0) return this.typeRuns(text, signal);
    const caps = (await x.keys.resolve(CAPS_LOCK)).keycode;
    await x.readyForInput(signal);
    xtest.pressKeys([caps]);
    xtest.releaseKeys([caps]);
    try {
      await this.typeRuns(text, signal);
    } finally {
      // Like a release, it always goes out: the lock is left as the call found it.
      xtest.pressKeys([caps]);
      xtest.releaseKeys([caps]);
    }
  }

  private async typeRuns(text: string, signal?: AbortSignal): Promise<void> {
    const { x, xtest } = this;
    const shift = await x.keys.resolve(SHIFT_L);
    const keysyms = [...text].map((ch) => keysymForCodePoint(ch.codePointAt(0) ?? 0));
    for (const run of x.keys.segments(keysyms)) {
      if (await x.keys.lend(run)) await this.clock.sleep(MAPPING_GRACE_MS, signal);
      for (const [i, keysym] of run.entries()) {
        if (i % TYPE_BATCH === 0) await x.readyForInput(signal);
        const loc = x.keys.find(keysym);
        if (!loc) throw new Error(`keysym 0x${keysym.toString(16)} lost its keycode while typing`);
        if (loc.shift) xtest.key(shift.keycode, true);
        xtest.key(loc.keycode, true);
        xtest.key(loc.keycode, false);
        if (loc.shift) xtest.key(shift.keycode, false);
      }
    }
    await x.sync();
  }

  /**
   * Keycodes for keys in press order. With `addShift`, a key found only on the
   * shifted level ("exclam") gets Shift pressed before it.
   */
  private async locate(keys: Key[], addShift = false): Promise<number[]> {
    const { x } = this;
    const out: number[] = [];
    if (await x.keys.lend([SHIFT_L, ...keys.map((k) => k.keysym)])) await this.clock.sleep(MAPPING_GRACE_MS);
    const shift = await x.keys.resolve(SHIFT_L);
    for (const k of keys) {
      const loc = await x.keys.resolve(k.keysym);
      if (addShift && loc.shift && !out.includes(shift.keycode)) out.push(shift.keycode);
      out.push(loc.keycode);
    }
    return out;
  }
}
