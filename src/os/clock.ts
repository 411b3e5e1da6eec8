/**
 * Time as the desktop's timing rules see it: settle and the change log,
 * input order, stall detection, the recording rules. Injectable, so specs
 * move time forward instead of waiting, and timing rules are specified
 * exactly, whatever the machine's load (test/helpers/clock.ts).
 */
import { sleep, sleepOn } from "./sleep.js";

export { sleepOn };

export interface Clock {
  /** Milliseconds since the epoch, never going back (the process's monotonic clock from its start). */
  now(): number;
  /** Calls `fn` once after `ms`; returns a function that cancels it. */
  setTimeout(fn: () => void, ms: number): () => void;
  /** Resolves after `ms`; rejects with `signal.reason` as soon as `signal` aborts (src/os/sleep.ts). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const setTimer = (fn: () => void, ms: number) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

/** The real clock. Its timers never keep the process alive on their own; its sleeps do (something awaits them). */
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: setTimer,
  sleep,
};
