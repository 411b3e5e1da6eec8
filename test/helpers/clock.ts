/**
 * A clock that only moves when a spec says so (src/os/clock.ts): timing
 * rules (settle, input order, stalls, the recording rules) are specified in
 * virtual time, exactly, however loaded the machine is.
 */
import { type Clock, sleepOn } from "../../src/os/clock.js";

/** Lets every promise continuation that is ready run (a few event-loop turns). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** "pending" while `p` has not settled (after ready continuations ran), else what it resolved to. */
export async function pending<T>(p: Promise<T>): Promise<T | "pending"> {
  const mark = Symbol("pending");
  const r = await Promise.race([p, flush().then(() => mark)]);
  return r === mark ? "pending" : (r as T);
}

export class FakeClock implements Clock {
  private t = 1_000_000;
  private timers: { at: number; fn: () => void }[] = [];
  readonly sleep = sleepOn(this);

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + Math.max(0, ms), fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  /** Timers waiting. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. Synchronous: what the timers start runs later. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.next(end);
      if (!due) break;
      this.t = due.at;
      due.fn();
    }
    this.t = end;
  }

  /**
   * Moves time forward by `ms` as the real clock would: each timer fires at
   * its time, and what it starts (a sleep's continuation, a new timer) runs
   * before time moves on.
   */
  async tick(ms: number): Promise<void> {
    const end = this.t + ms;
    await flush();
    for (;;) {
      const due = this.next(end);
      if (!due) break;
      this.t = due.at;
      due.fn();
      await flush();
    }
    this.t = end;
    await flush();
  }

  /** Ticks in `step`-ms steps until `cond` holds; throws after `maxMs` of virtual time. */
  async until(cond: () => boolean, maxMs: number, step = 1): Promise<void> {
    for (let waited = 0; !cond(); waited += step) {
      if (waited >= maxMs) throw new Error(`not within ${maxMs} ms of virtual time`);
      await this.tick(step);
    }
  }

  private next(end: number): { at: number; fn: () => void } | undefined {
    const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
    if (due) this.timers = this.timers.filter((x) => x !== due);
    return due;
  }
}
