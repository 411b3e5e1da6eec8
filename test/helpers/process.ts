/** Waiting in specs, and process checks. */
import { sleep } from "../../src/desktop/sleep.js";

export { alive } from "../../src/desktop/process.js";

/** Polls `fn` every 100 ms until it returns a value (errors count as not yet); throws after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out");
    await sleep(100);
  }
}

/** Polls `cond` every 100 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting: ${what}`);
    await sleep(100);
  }
}

/**
 * Waits `ms` to prove that something does not happen (no input arrives, the
 * focus is not taken): no event can say "it will never come", so a spec
 * gives it this long.
 */
export const quietFor = (ms: number) => sleep(ms);

/** Lets a recording run for `ms` (the video must span some time). */
export const recordFor = (ms: number) => sleep(ms);
