/**
 * The Vnc RPC: one RFB connection to the desktop's VNC server per call, bytes
 * relayed both ways with backpressure. Server -> client: the socket is read
 * only as fast as the transport pulls messages. Client -> server: writes wait
 * for 'drain'. The client's half-close ends the VNC connection; cancellation
 * and server shutdown destroy it.
 */
import { once } from "node:events";
import type { Duplex } from "node:stream";
import { create } from "@bufbuild/protobuf";
import { type VncRequest, type VncResponse, VncResponseSchema } from "../../../gen/desktop/v1/desktop_pb.js";
import type { Desktop } from "../../desktop/desktop.js";

/** Largest chunk relayed in one VncResponse, bytes (gRPC peers default to 4 MiB). */
const MAX_CHUNK = 256 * 1024;

export async function* vncBridge(desktop: Desktop, requests: AsyncIterable<VncRequest>, signal: AbortSignal): AsyncGenerator<VncResponse> {
  await desktop.start();
  const sock = await desktop.connectVnc();
  const destroy = () => sock.destroy();
  signal.addEventListener("abort", destroy, { once: true });
  void pumpToServer(requests, sock);
  try {
    for await (const chunk of sock as AsyncIterable<Buffer>) {
      for (let off = 0; off < chunk.length; off += MAX_CHUNK) {
        yield create(VncResponseSchema, { data: chunk.subarray(off, off + MAX_CHUNK) });
      }
    }
  } catch (err) {
    // A destroyed socket ends the stream; the caller learns why from `signal`.
    if (!signal.aborted) throw err;
  } finally {
    signal.removeEventListener("abort", destroy);
    sock.destroy();
  }
  signal.throwIfAborted();
}

async function pumpToServer(requests: AsyncIterable<VncRequest>, sock: Duplex): Promise<void> {
  try {
    for await (const req of requests) {
      if (sock.destroyed) return;
      if (req.data.length > 0 && !sock.write(req.data)) await Promise.race([once(sock, "drain"), once(sock, "close")]);
    }
    sock.end();
  } catch {
    sock.destroy();
  }
}
