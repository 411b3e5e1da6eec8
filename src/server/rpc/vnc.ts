/**
 * The Vnc RPC: one RFB connection to the desktop's VNC server per call, bytes
 * relayed both ways with backpressure. Server -> client: the socket is read
 * only as fast as the transport pulls messages, and what it has buffered goes
 * out in messages of up to 256 KiB. Client -> server: writes wait
 * for 'drain'. The client's half-close ends the VNC connection; cancellation
 * and server shutdown destroy it.
 *
 * How a call ends: OK after the client half-closed; the request stream's own
 * error (an undecodable message: INVALID_ARGUMENT) when it failed;
 * UNAVAILABLE when the VNC server closed the connection first (the desktop
 * stopped or was replaced), so a client can tell that from a normal close.
 */
import { once } from "node:events";
import type { Duplex } from "node:stream";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type VncRequest, type VncResponse, VncResponseSchema } from "../../../gen/desktop/v1/desktop_pb.js";
import type { DesktopHost } from "../../desktop/desktop.js";
import { DesktopUnavailableError } from "../../desktop/errors.js";
import { NO_VNC_METER, type VncRelayMeter } from "../metrics/metrics.js";
import { coalesce } from "../transport/coalesce.js";

/** Largest chunk relayed in one VncResponse, bytes: what is buffered is joined up to this (gRPC peers default to a 4 MiB message limit). */
const MAX_CHUNK = 256 * 1024;

export async function* vncBridge(
  host: DesktopHost,
  requests: AsyncIterable<VncRequest>,
  signal: AbortSignal,
  /** Opens a meter for the connection once it is relayed (metrics). */
  openMeter: () => VncRelayMeter = () => NO_VNC_METER,
): AsyncGenerator<VncResponse> {
  const sock = await (await host.session(signal)).connectVnc();
  const meter = openMeter();
  const destroy = () => sock.destroy();
  signal.addEventListener("abort", destroy, { once: true });
  const inbound: Inbound = { done: false };
  void pumpToServer(requests, sock, inbound, meter);
  try {
    for await (const data of coalesce(sock, MAX_CHUNK)) {
      meter.toViewer(data.length);
      yield create(VncResponseSchema, { data });
    }
  } catch (err) {
    // A destroyed socket ends the stream; the caller learns why from `signal` or `inbound`.
    if (!signal.aborted && inbound.error === undefined) throw err;
  } finally {
    signal.removeEventListener("abort", destroy);
    sock.destroy();
    meter.done();
  }
  // The client's own failure first (an undecodable message: a ConnectError), as
  // the request closing after it aborts `signal` too; a request cut by the
  // client going away ("Premature close") is the cancellation it is.
  if (inbound.error instanceof ConnectError) throw inbound.error;
  signal.throwIfAborted();
  if (inbound.error !== undefined)
    throw new ConnectError("the client closed the stream", Code.Canceled, undefined, undefined, inbound.error);
  if (!inbound.done)
    throw new DesktopUnavailableError("the desktop's VNC server closed the connection (the desktop stopped or was replaced)");
}

/** How the client's side went: `done` once it half-closed, `error` when its stream failed. */
interface Inbound {
  done: boolean;
  error?: unknown;
}

async function pumpToServer(requests: AsyncIterable<VncRequest>, sock: Duplex, inbound: Inbound, meter: VncRelayMeter): Promise<void> {
  try {
    for await (const req of requests) {
      if (sock.destroyed) return;
      meter.toDesktop(req.data.length);
      if (req.data.length > 0 && !sock.write(req.data)) await drainedOrClosed(sock);
    }
    inbound.done = true;
    sock.end();
  } catch (err) {
    inbound.error = err;
    sock.destroy();
  }
}

/** Waits for 'drain' or 'close', removing the other listener (one per backpressure wait would pile up). */
async function drainedOrClosed(sock: Duplex): Promise<void> {
  const done = new AbortController();
  try {
    await Promise.race([once(sock, "drain", { signal: done.signal }), once(sock, "close", { signal: done.signal })]);
  } finally {
    done.abort();
  }
}
