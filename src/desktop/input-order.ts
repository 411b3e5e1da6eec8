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
 * not changed within the no-reaction time, the application had nothing to
 * show and the action goes on. An agent that looks at the screen between
 * actions never waits here.
 *
 * The no-reaction time follows the application's pace: it is `noReactionMs`,
 * or SLOW_FACTOR times the slowest of the last RECENT reactions (time from
 * input to the first change after it) when that is longer, never over
 * `maxMs`. On a loaded machine Firefox can take 200 ms and more to draw its
 * reaction to a click; a fixed guess let the keys go first.
 */
import type { ScreenChanges } from "./screen-changes.js";

export type InputKind = "pointer" | "keyboard";

export interface InputOrderOptions {
  /** With no change on the screen this long after the previous input, go on, ms (the least; see the module comment). */
  noReactionMs: number;
  /** After a change, the screen must be quiet this long, ms. */
  quietMs: number;
  /** Never wait past this long after the previous input, ms. */
  maxMs: number;
}

export const INPUT_ORDER_DEFAULTS: InputOrderOptions = { noReactionMs: 200, quietMs: 100, maxMs: 1000 };

/** How often the wait looks again, ms. */
const STEP_MS = 5;
/** How many recent reaction times the no-reaction time follows. */
const RECENT = 8;
/** The no-reaction time is at least this many times the slowest recent reaction. */
const SLOW_FACTOR = 2.5;

export class InputOrder {
  private last?: { kind: InputKind; at: number };
  /** Times of recent inputs whose reaction has not been seen yet (clock ms). */
  private unmeasured: number[] = [];
  /** Recent reaction times, ms, oldest first. */
  private readonly reactions: number[] = [];

  /** `opts` false: never wait (the in-memory specs' desktop never redraws). */
  constructor(
    private readonly changes: ScreenChanges,
    private readonly opts: InputOrderOptions | false = INPUT_ORDER_DEFAULTS,
  ) {}

  /** How long a switch waits for a reaction that has not come, ms. */
  noReactionMs(): number {
    if (!this.opts) return 0;
    const slowest = Math.max(0, ...this.reactions);
    return Math.min(this.opts.maxMs, Math.max(this.opts.noReactionMs, SLOW_FACTOR * slowest));
  }

  /** Before input of `kind`: waits as the module comment says. Rejects with `signal.reason`. */
  async before(kind: InputKind, signal?: AbortSignal): Promise<void> {
    const { opts, last, changes } = this;
    if (!opts || !last) return;
    this.measure();
    if (last.kind === kind) return;
    const noReactionMs = this.noReactionMs();
    try {
      for (;;) {
        const now = changes.clock.now();
        if (now - last.at >= opts.maxMs) return;
        const changed = changes.lastChange();
        if (changed > last.at) {
          if (now - changed >= opts.quietMs) return;
        } else if (now - last.at >= noReactionMs) return;
        await changes.clock.sleep(STEP_MS, signal);
      }
    } finally {
      this.measure();
    }
  }

  /** Input of `kind` was just sent. */
  after(kind: InputKind): void {
    const at = this.changes.clock.now();
    this.last = { kind, at };
    this.unmeasured.push(at);
    if (this.unmeasured.length > RECENT) this.unmeasured.shift();
  }

  /**
   * Notes how soon the screen reacted to recent inputs: the first change
   * within `maxMs` after each. A later change is not taken for a reaction (a
   * clock, an animation), nor waited for.
   */
  private measure(): void {
    if (!this.opts) return;
    const { maxMs } = this.opts;
    const now = this.changes.clock.now();
    this.unmeasured = this.unmeasured.filter((at) => {
      const first = this.changes.firstChangeAfter(at);
      if (first !== undefined && first - at <= maxMs) {
        this.reactions.push(first - at);
        if (this.reactions.length > RECENT) this.reactions.shift();
        return false;
      }
      return first === undefined && now - at <= maxMs;
    });
  }
}
