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

/** Rejects with CANCELED once `res` closes before it finished. */
function closedEarly(res: NodeResponse): { closed: Promise<never>; dispose(): void } {
  let onClose!: () => void;
  const closed = new Promise<never>((_, reject) => {
    onClose = () => {
      if (!res.writableFinished) reject(new ConnectError("the client closed the stream", Code.Canceled));
    };
    res.once("close", onClose);
  });
  closed.catch(() => undefined);
  return { closed, dispose: () => res.off("close", onClose) };
}

/** Writes `chunk`, waiting for 'drain' when the stream asks to; rejects when it closes first. */
async function write(res: NodeResponse, chunk: Uint8Array, closed: Promise<never>): Promise<void> {
  if (res.destroyed) throw new ConnectError("the client closed the stream", Code.Canceled);
  // Http2ServerResponse and ServerResponse both take a Uint8Array; their overloads differ in TypeScript only.
  if ((res as ServerResponse).write(chunk)) return;
  await Promise.race([once(res, "drain"), closed]);
}

/** Sends `ures` on `res`: headers after the first chunk (the handler may still set some), the body, trailers. */
export async function writeResponse(ures: UniversalServerResponse, res: NodeResponse): Promise<void> {
  const it = ures.body?.[Symbol.asyncIterator]();
  const early = closedEarly(res);
  try {
    if (it) {
      let chunk = await Promise.race([it.next(), early.closed]);
      res.writeHead(ures.status, nodeHeaders(ures.header));
      for (; chunk.done !== true; chunk = await Promise.race([it.next(), early.closed])) await write(res, chunk.value, early.closed);
    }
    if (!res.headersSent) res.writeHead(ures.status, nodeHeaders(ures.header));
    if (ures.trailer) res.addTrailers(nodeHeaders(ures.trailer));
    const ended = once(res, "finish");
    res.end();
    await Promise.race([ended, early.closed]);
  } finally {
    early.dispose();
    // Ends the handler (its finally blocks) when the body was not read to its end.
    void it?.return?.().catch(() => undefined);
  }
}
