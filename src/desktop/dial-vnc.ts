/**
 * The connection to a desktop's VNC server, for the Vnc RPC and the /vnc
 * WebSocket: a Unix socket (built-in) or a loopback TCP port (portabledesktop).
 */
import { connect, type Socket } from "node:net";
import { DesktopUnavailableError } from "./errors.js";

/** Where a desktop's VNC server listens: a Unix socket path, or a TCP port on loopback. */
export type VncAddress = { path: string } | { port: number; host?: string };

/** Bytes a VNC connection reads ahead of its relay (Node's default is 16 KiB): room to join reads into 256 KiB messages. */
const VNC_READ_AHEAD_BYTES = 256 * 1024;

/** Waits between tries while the VNC server's accept queue is full, ms. */
const BUSY_RETRY_MS = [10, 20, 40, 80, 160, 320, 640];

/**
 * A new raw RFB byte stream to the VNC server at `address`. A Unix socket
 * whose accept queue is full refuses at once (EAGAIN): Xvnc listens with a
 * short queue, and a burst of viewers on a loaded machine fills it, so that
 * is tried again, for about 1.3 s. Rejects with DesktopUnavailableError when
 * the server cannot be reached.
 */
export async function dialVnc(address: VncAddress): Promise<Socket> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await dialOnce(address);
    } catch (err) {
      const busy = (err as NodeJS.ErrnoException).code === "EAGAIN";
      if (!busy || attempt >= BUSY_RETRY_MS.length)
        throw new DesktopUnavailableError(`cannot reach VNC server: ${(err as Error).message}`, { cause: err });
      await new Promise((r) => setTimeout(r, BUSY_RETRY_MS[attempt]));
    }
  }
}

function dialOnce(address: VncAddress): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // Node's Socket passes its options to stream.Duplex; @types/node does not list this one.
    const readAhead = { readableHighWaterMark: VNC_READ_AHEAD_BYTES } as object;
    const sock = connect({ ...readAhead, ...("path" in address ? address : { port: address.port, host: address.host ?? "127.0.0.1" }) });
    sock.once("error", reject);
    sock.once("connect", () => {
      sock.off("error", reject);
      resolve(sock);
    });
  });
}
