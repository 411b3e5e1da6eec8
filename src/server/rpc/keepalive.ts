/**
 * Keep-alive messages for a server stream that may say nothing for long (a
 * Screenshot stream on a still screen): routers that speak HTTP/1.1 cut a
 * response that sends no bytes for a while, and HTTP/2 PING frames do not
 * cross them, so the stream itself must send something.
 */
import type { Clock } from "../../os/clock.js";

/**
 * The messages of `inner`, with `keepalive()` sent whenever `everyMs` pass
 * without one (0: none, `inner` as is). `inner` is still pulled only when
 * the reader asks for a message, so its pacing holds; it is closed when the
 * result is.
 */
export async function* withKeepalive<T>(inner: AsyncGenerator<T>, everyMs: number, keepalive: () => T, clock: Clock): AsyncGenerator<T> {
  if (everyMs === 0) return yield* inner;
  try {
    let pending: Promise<IteratorResult<T>> | undefined;
    for (;;) {
      pending ??= inner.next();
      const timer = new AbortController();
      const quiet = clock.sleep(everyMs, timer.signal).then(
        () => true,
        () => false,
      );
      const r = await Promise.race([pending, quiet]).finally(() => timer.abort());
      if (r === true) yield keepalive();
      // true: quiet for everyMs; false: the timer was cancelled, as the message won.
      if (typeof r === "boolean") continue;
      pending = undefined;
      if (r.done) return;
      yield r.value;
    }
  } finally {
    await inner.return(undefined);
  }
}
