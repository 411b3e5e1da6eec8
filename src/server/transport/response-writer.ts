/**
 * Writes a Connect universal response to a Node response, as connect-node's
 * `universalResponseToNodeResponse` does, except that a response closed by
 * the client (an HTTP/2 RST_STREAM, a dropped connection) ends the writing
 * at once. connect-node waits for 'drain' after a write the stream could not
 * take; a stream reset meanwhile emits neither 'drain' nor 'error', so the
 * write never settled, the handler stayed suspended at its `yield` for
 * good, holding its buffers, and the call was never logged (18 of 20
 * cancelled Vnc calls here).
 *
 * On an early close the body iterator is closed (`return`), which runs the
 * handler's `finally` blocks; the call's interceptors see it end there
 * (src/server/transport/outcome.ts).
 */
import { once } from "node:events";
import type { ServerResponse } from "node:http";
import type { Http2ServerResponse } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";

type NodeResponse = ServerResponse | Http2ServerResponse;

/** Headers as Node takes them. */
const nodeHeaders = (h: Headers | undefined): Record<string, string> => (h ? Object.fromEntries(h.entries()) : {});

const closedError = () => new ConnectError("the client closed the stream", Code.Canceled);

/**
 * `p`, or CANCELED as soon as `res` closes first. The listener goes when `p`
 * settles: a race against one long-lived "closed" promise would keep every
 * chunk it ever resolved with (the promise's reactions hold the settled races).
 */
function unlessClosed<T>(res: NodeResponse, p: Promise<T>): Promise<T> {
  if (res.destroyed) {
    p.catch(() => undefined);
    return Promise.reject(closedError());
  }
  return new Promise<T>((resolve, reject) => {
    const onClose = () => {
      if (!res.writableFinished) reject(closedError());
    };
    res.once("close", onClose);
    p.then(resolve, reject).finally(() => res.off("close", onClose));
  });
}

/** Writes `chunk`, waiting for 'drain' when the stream asks to; rejects when it closes first. */
async function write(res: NodeResponse, chunk: Uint8Array): Promise<void> {
  if (res.destroyed) throw closedError();
  // Http2ServerResponse and ServerResponse both take a Uint8Array; their overloads differ in TypeScript only.
  if ((res as ServerResponse).write(chunk)) return;
  const drained = new AbortController();
  await unlessClosed(res, once(res, "drain", { signal: drained.signal })).finally(() => drained.abort());
}

/** Sends `ures` on `res`: headers after the first chunk (the handler may still set some), the body, trailers. */
export async function writeResponse(ures: UniversalServerResponse, res: NodeResponse): Promise<void> {
  const it = ures.body?.[Symbol.asyncIterator]();
  try {
    if (it) {
      let chunk = await unlessClosed(res, it.next());
      res.writeHead(ures.status, nodeHeaders(ures.header));
      for (; chunk.done !== true; chunk = await unlessClosed(res, it.next())) await write(res, chunk.value);
    }
    if (!res.headersSent) res.writeHead(ures.status, nodeHeaders(ures.header));
    if (ures.trailer) res.addTrailers(nodeHeaders(ures.trailer));
    const ended = once(res, "finish");
    res.end();
    await unlessClosed(res, ended);
  } finally {
    // Ends the handler (its finally blocks) when the body was not read to its end.
    void it?.return?.().catch(() => undefined);
  }
}
