/**
 * Waiting for time and for calls that may be given up on: `sleepOn`,
 * `sleep`, `abortable` and `withTimeout`.
 *
 * A sleep rejects with `signal.reason` as soon as `signal` aborts (at once if
 * it already has). Why not `setTimeout` from node:timers/promises: that
 * rejects with a new AbortError whatever the reason, and the reason is what
 * the caller needs. A Connect handler's signal aborts with a ConnectError
 * (DEADLINE_EXCEEDED for a client deadline, UNAVAILABLE at shutdown) which
 * must reach the client as is; a bare AbortError would become CANCELED.
 */

/** A sleep on `setTimeout` (a clock's: src/os/clock.ts), rejecting with `signal.reason` when it aborts. */
export function sleepOn(timers: {
  setTimeout(fn: () => void, ms: number): () => void;
}): (ms: number, signal?: AbortSignal) => Promise<void> {
  return (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        cancel();
        reject(signal?.reason);
      };
      const cancel = timers.setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
}

/** Waits `ms` milliseconds of real time (see the module comment). */
export const sleep = sleepOn({
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
});

/**
 * `p`, or `signal.reason` as soon as `signal` aborts. What was given up on
 * goes on for whoever else waits for it; `dispose` gets what it produces
 * when it is late (a descriptor to close). The abort listener goes when `p`
 * settles: a race against one long-lived promise would keep every result.
 */
export function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined, dispose?: (late: T) => unknown): Promise<T> {
  if (!signal) return p;
  const late = () => void p.then(dispose, () => undefined);
  if (signal.aborted) {
    late();
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      late();
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** What `withTimeout` resolves with when time ran out first. */
export const TIMED_OUT: unique symbol = Symbol("timed out");

/** `promise`'s outcome, or TIMED_OUT after `ms` milliseconds; the timer never outlives the race. */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, expiry]);
  } finally {
    clearTimeout(timer);
  }
}
