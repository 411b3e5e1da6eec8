/**
 * Byte chunks from a readable socket, joined into messages of up to `maxBytes`
 * from what is already buffered: a relay that turns every socket read (at
 * most 64 KiB) into one message pays the per-message cost (framing, protobuf,
 * HTTP/2 DATA frames, WebSocket frames) for each. Nothing waits for more
 * bytes to arrive, so a small update still goes out at once; only when the
 * reader falls behind the writer do messages grow. Chunks over `maxBytes`
 * are split.
 */
import type { Readable } from "node:stream";

export async function* coalesce(source: Readable, maxBytes: number): AsyncGenerator<Buffer> {
  for await (const first of source as AsyncIterable<Buffer>) {
    const parts = [first];
    let size = first.length;
    while (size < maxBytes && source.readableLength > 0) {
      const more = source.read(Math.min(source.readableLength, maxBytes - size)) as Buffer | null;
      if (more === null) break;
      parts.push(more);
      size += more.length;
    }
    const joined = parts.length === 1 ? first : Buffer.concat(parts, size);
    for (let off = 0; off < joined.length; off += maxBytes) yield joined.subarray(off, off + maxBytes);
  }
}
