/**
 * How a call ended, for interceptors that act on it (the call log, the error
 * mapping): a unary call ends when it returns or throws, a stream when it
 * finishes or fails, mid-stream included. Connect-ES hands interceptors a
 * stream as an iterator (packages/connect/src/interceptor.ts), so its end is
 * seen by wrapping that iterator.
 */
import type { Interceptor } from "@connectrpc/connect";

type Next = Parameters<Interceptor>[0];
type Request = Parameters<Next>[0];
type Response = Awaited<ReturnType<Next>>;

/**
 * Calls `next(req)` and tells `settle` how the call ended, once: `err` is what
 * was thrown (undefined when it succeeded), `streamed` says whether the
 * response was a stream. `settle` returns the error the call ends with
 * instead, or undefined to succeed.
 */
export async function withOutcome(next: Next, req: Request, settle: (err: unknown, streamed: boolean) => unknown): Promise<Response> {
  let res: Response;
  try {
    res = await next(req);
  } catch (err) {
    throw settle(err, false);
  }
  if (!res.stream) {
    const err = settle(undefined, false);
    if (err !== undefined) throw err;
    return res;
  }
  const inner = res.message;
  return {
    ...res,
    message: (async function* () {
      try {
        yield* inner;
      } catch (err) {
        throw settle(err, true);
      }
      const err = settle(undefined, true);
      if (err !== undefined) throw err;
    })(),
  };
}
