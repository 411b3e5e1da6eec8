/**
 * Synthetic input through XTEST FakeInput (XTEST extension, section 2:
 * https://www.x.org/releases/current/doc/xextproto/xtest.html): pointer
 * motion, buttons and keys as the server's own devices would send them. A
 * request without a reply: call `X11Connection.readyForInput` first, so input
 * never goes into the socket of a stalled server.
 */
import type { XTest as XTestExtension } from "x11";
import type { Point } from "../geometry.js";
import type { X11Connection } from "./connection.js";

// FakeInput event types (XTEST spec, section 2).
const KEY_PRESS = 2;
const KEY_RELEASE = 3;
const BUTTON_PRESS = 4;
const BUTTON_RELEASE = 5;
const MOTION_NOTIFY = 6;

export class XTest {
  private constructor(
    private readonly ext: XTestExtension,
    private readonly root: number,
  ) {}

  /** XTEST on `x`; rejects when the server has none. */
  static async open(x: X11Connection): Promise<XTest> {
    return new XTest(await x.extension("xtest"), x.root);
  }

  motion(p: Point): void {
    this.ext.FakeInput(MOTION_NOTIFY, 0, 0, this.root, p.x, p.y);
  }

  button(button: number, down: boolean): void {
    this.ext.FakeInput(down ? BUTTON_PRESS : BUTTON_RELEASE, button, 0, this.root, 0, 0);
  }

  key(keycode: number, down: boolean): void {
    this.ext.FakeInput(down ? KEY_PRESS : KEY_RELEASE, keycode, 0, this.root, 0, 0);
  }

  /** Presses `keycodes` in order. */
  pressKeys(keycodes: number[]): void {
    for (const k of keycodes) this.key(k, true);
  }

  /** Releases `keycodes` in reverse order: the last pressed goes first. */
  releaseKeys(keycodes: number[]): void {
    for (const k of [...keycodes].reverse()) this.key(k, false);
  }
}
