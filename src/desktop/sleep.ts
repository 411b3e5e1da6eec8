/**
 * Waiting for time: `sleep` and `withTimeout`.
 *
 * `sleep` waits `ms` milliseconds; rejects with `signal.reason` as soon as `signal`
 * aborts (at once if it already has).
 *
 * Why not `setTimeout` from node:timers/promises: that rejects with a new
 * AbortError whatever the reason, and the reason is what the caller needs.
 * A Connect handler's signal aborts with a ConnectError (DEADLINE_EXCEEDED
 * for a client deadline, UNAVAILABLE at shutdown) which must reach the client
 * as is; a bare AbortError would become CANCELED.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
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
