/**
 * How a call ended, for interceptors that act on it (the call log, the error
 * mapping): a unary call ends when it returns or throws, a stream when it
 * finishes or fails, mid-stream included. Connect-ES hands interceptors a
 * stream as an iterator (packages/connect/src/interceptor.ts), so its end is
 * seen by wrapping that iterator.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

type Next = Parameters<Interceptor>[0];
type Request = Parameters<Next>[0];
type Response = Awaited<ReturnType<Next>>;

/**
 * Calls `next(req)` and tells `settle` how the call ended, once: `err` is what
 * was thrown (undefined when it succeeded; the call's abort reason, or
 * CANCELED, for a stream closed before its end), `streamed` says whether the
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
      let ended = false;
      try {
        yield* inner;
        ended = true;
      } catch (err) {
        ended = true;
        throw settle(err, true);
      } finally {
        // Closed before its end (the client went away and the writer gave up): it did not succeed.
        if (!ended) settle(req.signal.aborted ? req.signal.reason : new ConnectError("the stream was closed early", Code.Canceled), true);
      }
      const err = settle(undefined, true);
      if (err !== undefined) throw err;
    })(),
  };
}
