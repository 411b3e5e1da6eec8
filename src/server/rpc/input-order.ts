/**
 * Input that lands in order. An application may handle pointer and keyboard
 * input on separate paths: Firefox, sent a click and then keys back to back,
 * lets the keys overtake the click (its page saw the keys in the field the
 * click was leaving). Keys among keys and clicks among clicks stay in order.
 *
 * So when an Action switches between pointer and keyboard input within
 * `maxMs` of the previous input, it first waits for the application to catch
 * up, seen on the screen (src/desktop/screen-changes.ts): once the screen has
 * changed since that input, until it has been quiet for `quietMs`; if it has
 * not changed within `noReactionMs`, the application had nothing to show and
 * the action goes on. An agent that looks at the screen between actions never
 * waits here.
 */
import type { ScreenChanges } from "../../desktop/screen-changes.js";
import { sleep } from "../../desktop/sleep.js";

export type InputKind = "pointer" | "keyboard";

export interface InputOrderOptions {
  /** With no change on the screen this long after the previous input, go on, ms. */
  noReactionMs: number;
  /** After a change, the screen must be quiet this long, ms. */
  quietMs: number;
  /** Never wait past this long after the previous input, ms. */
  maxMs: number;
}

export const INPUT_ORDER_DEFAULTS: InputOrderOptions = { noReactionMs: 200, quietMs: 100, maxMs: 1000 };

/** How often the wait looks again, ms. */
const STEP_MS = 5;

export class InputOrder {
  private last?: { kind: InputKind; at: number };

  /** `false`: never wait (the in-memory specs' desktop never redraws). */
  constructor(private readonly opts: InputOrderOptions | false = INPUT_ORDER_DEFAULTS) {}

  /** Before input of `kind`: waits as the module comment says. Rejects with `signal.reason`. */
  async before(kind: InputKind, changes: ScreenChanges, signal?: AbortSignal): Promise<void> {
    const { opts, last } = this;
    if (!opts || !last || last.kind === kind) return;
    for (;;) {
      const now = performance.now();
      if (now - last.at >= opts.maxMs) return;
      const changed = changes.lastChange();
      if (changed > last.at) {
        if (now - changed >= opts.quietMs) return;
      } else if (now - last.at >= opts.noReactionMs) return;
      await sleep(STEP_MS, signal);
    }
  }

  /** Input of `kind` was just sent. */
  after(kind: InputKind): void {
    this.last = { kind, at: performance.now() };
  }
}
