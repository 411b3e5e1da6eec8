/**
 * What the screen did, for waiting on it: whether it has settled (no change
 * for a quiet period) and when it next changes. A watcher feeds it: X DAMAGE
 * events checked against the pixels (src/desktop/x11/screen-mirror.ts), or
 * small frames compared (src/desktop/frame-watch.ts). Times are the
 * injected clock's milliseconds (src/os/clock.ts); boxes are native pixels.
 *
 * Blinks do not count: a change whose box changed at least twice before in the
 * last BLINK.windowMs, each time at least BLINK.minGapMs after the previous
 * one, is a caret, a blinking cursor or a clock. It is recorded, so the next
 * one is recognised, but it neither breaks a quiet period nor wakes a waiter.
 * Changes that come faster than that in one place (an animation, a video) do
 * count: that screen is not settled.
 */
import { type Clock, systemClock } from "../os/clock.js";
import type { Rect } from "./geometry.js";

/** How changes are seen; the proto's ScreenChangeSource. */
export type ChangeSource = "damage" | "frames";

export interface SettleOptions {
  /** The screen must stay unchanged this long, ms. */
  quietMs: number;
  /** Longest wait, ms. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface SettleOutcome {
  /** False when timeoutMs passed first. */
  settled: boolean;
  /** Time waited, ms. */
  waitedMs: number;
}

/** What the API layer may ask of a desktop's screen. */
export interface ScreenChanges {
  readonly source: ChangeSource;
  /**
   * Time of the last change that counts (with `blinks`, of any change), or
   * -Infinity; a change still being checked counts as now.
   */
  lastChange(blinks?: boolean): number;
  /** The clock the times are read from. */
  readonly clock: Clock;
  /**
   * Time of the first change that counts after `t` (clock ms),
   * among the last BLINK.windowMs, or undefined: how soon the screen reacted
   * to input sent at `t`.
   */
  firstChangeAfter(t: number): number | undefined;
  /**
   * Waits until the screen has stayed unchanged for `quietMs`, counted from
   * now or from the last change after now, at most `timeoutMs`. Rejects with
   * `signal.reason` when it aborts.
   */
  settle(opts: SettleOptions): Promise<SettleOutcome>;
  /**
   * Resolves at the next change that counts; with `blinks`, at any change, or
   * as soon as drawing is seen and being checked (it may turn out to change
   * nothing: a frame taken then tells). Rejects with `signal.reason`.
   */
  nextChange(signal?: AbortSignal, blinks?: boolean): Promise<void>;
}

export const BLINK = { windowMs: 5000, minGapMs: 200, repeats: 2, tolerancePx: 1 };

/** Hooks a watcher gives the log. */
export interface ChangeLogOptions {
  source: ChangeSource;
  /** Input sent so far handled by the X server and its damage delivered; settle waits for it first. */
  sync?: () => Promise<void>;
  /** Told when someone starts (true) or stops (false) waiting, for watchers that only look on demand. */
  demand?: (waiting: boolean) => void;
  /** The real clock unless told. */
  clock?: Clock;
}

export class ChangeLog implements ScreenChanges {
  readonly source: ChangeSource;
  readonly clock: Clock;
  private last = Number.NEGATIVE_INFINITY;
  private lastAny = Number.NEGATIVE_INFINITY;
  private checking = 0;
  private history: { box: Rect; at: number; blink: boolean }[] = [];
  /** Waiters, told of a change that counts, a blink, or drawing being checked. */
  private readonly wake = new Set<(what: "change" | "blink" | "checking") => void>();
  private waiting = 0;

  constructor(private readonly opts: ChangeLogOptions) {
    this.source = opts.source;
    this.clock = opts.clock ?? systemClock;
  }

  /**
   * The watcher saw something that may be a change and is checking it; until
   * the returned `done` is called with the verdict, the screen counts as
   * changing. `done(box)`: the pixels in `box` changed at `at`; `done(null)`:
   * nothing did.
   */
  begin(): (box: Rect | null, at: number) => void {
    this.checking++;
    for (const w of this.wake) w("checking");
    let finished = false;
    return (box, at) => {
      if (finished) return;
      finished = true;
      this.checking--;
      if (box) this.record(box, at);
    };
  }

  /** A checked change: the pixels in `box` changed at `at`. */
  record(box: Rect, at: number): void {
    const recent = this.history.filter((h) => at - h.at <= BLINK.windowMs);
    const before = recent.filter((h) => sameBox(h.box, box)).map((h) => h.at);
    const blink = isBlink([...before, at]);
    recent.push({ box, at, blink });
    this.history = recent.slice(-256);
    this.lastAny = Math.max(this.lastAny, at);
    if (!blink) this.last = Math.max(this.last, at);
    for (const w of this.wake) w(blink ? "blink" : "change");
  }

  lastChange(blinks = false): number {
    return this.checking > 0 ? this.clock.now() : blinks ? this.lastAny : this.last;
  }

  firstChangeAfter(t: number): number | undefined {
    let first: number | undefined;
    for (const h of this.history) if (!h.blink && h.at > t && (first === undefined || h.at < first)) first = h.at;
    return first;
  }

  async settle(opts: SettleOptions): Promise<SettleOutcome> {
    const start = this.clock.now();
    const deadline = start + opts.timeoutMs;
    await this.opts.sync?.();
    this.interest(+1);
    try {
      for (;;) {
        const now = this.clock.now();
        const from = Math.max(start, this.lastChange());
        if (now - from >= opts.quietMs) return { settled: true, waitedMs: now - start };
        if (now >= deadline) return { settled: false, waitedMs: now - start };
        await this.clock.sleep(Math.max(1, Math.min(from + opts.quietMs, deadline) - now), opts.signal);
      }
    } finally {
      this.interest(-1);
    }
  }

  nextChange(signal?: AbortSignal, blinks = false): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const finish = (aborted: boolean) => {
        this.wake.delete(onChange);
        signal?.removeEventListener("abort", onAbort);
        this.interest(-1);
        if (aborted) reject(signal?.reason);
        else resolve();
      };
      const onChange = (what: "change" | "blink" | "checking") => {
        if (blinks || what === "change") finish(false);
      };
      const onAbort = () => finish(true);
      this.wake.add(onChange);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.interest(+1);
    });
  }

  private interest(delta: number): void {
    const before = this.waiting;
    this.waiting += delta;
    if (before === 0 && this.waiting > 0) this.opts.demand?.(true);
    if (before > 0 && this.waiting === 0) this.opts.demand?.(false);
  }
}

function sameBox(a: Rect, b: Rect): boolean {
  const t = BLINK.tolerancePx;
  return Math.abs(a.x - b.x) <= t && Math.abs(a.y - b.y) <= t && Math.abs(a.width - b.width) <= t && Math.abs(a.height - b.height) <= t;
}

/** Times one box changed, oldest first: a blink when it came back often enough, never in quick succession. */
function isBlink(times: number[]): boolean {
  if (times.length <= BLINK.repeats) return false;
  return times.every((t, i) => i === 0 || t - times[i - 1] >= BLINK.minGapMs);
}
