/**
 * A local TCP port for stock VNC viewers: each connection to it is one `Vnc`
 * call, raw RFB bytes both ways, so TigerVNC, Remmina or vncsnapshot see the
 * remote desktop through the authenticated service (the VNC server itself is
 * never reachable). Backpressure both ways: the socket is read only as fast as
 * the call takes bytes, and the call is read only as fast as the socket drains.
 * With `websocket` instead of `client`, each connection is one `/vnc`
 * WebSocket (src/client/vnc-websocket.ts): for routers that pass HTTP/1.1
 * and WebSockets but no bidi RPC.
 */
import { once } from "node:events";
import net from "node:net";
import type { DesktopClient } from "./client.js";
import { relayVncWebSocket, type VncWebSocketOptions } from "./vnc-websocket.js";

export type VncForwardOptions = VncForwardCommon & ({ client: DesktopClient } | { websocket: VncWebSocketOptions });

interface VncForwardCommon {
  /** Loopback by default; port 0 picks a free one. */
  host?: string | undefined;
  port: number;
  /** Told about each viewer that connects and leaves (for logs). */
  onConnection?: ((event: { remote: string; closed?: boolean; error?: string }) => void) | undefined;
}

export interface VncForward {
  /** The port actually listened on. */
  port: number;
  /** Stops listening and ends every forwarded connection. */
  close(): Promise<void>;
}

export async function forwardVnc(opts: VncForwardOptions): Promise<VncForward> {
  const open = new Set<{ sock: net.Socket; abort: AbortController }>();
  const server = net.createServer((sock) => {
    const conn = { sock, abort: new AbortController() };
    open.add(conn);
    const remote = `${sock.remoteAddress}:${sock.remotePort}`;
    opts.onConnection?.({ remote });
    sock.on("close", () => conn.abort.abort());
    sock.on("error", () => undefined);
    const relay =
      "client" in opts ? pump(opts.client, sock, conn.abort.signal) : relayVncWebSocket(opts.websocket, sock, conn.abort.signal);
    void relay
      .then(
        () => opts.onConnection?.({ remote, closed: true }),
        (err: Error) => opts.onConnection?.({ remote, closed: true, error: err.message }),
      )
      .finally(() => {
        open.delete(conn);
        sock.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      const closed = new Promise((r) => server.close(r));
      for (const c of open) c.abort.abort();
      await closed;
    },
  };
}

async function pump(client: DesktopClient, sock: net.Socket, signal: AbortSignal): Promise<void> {
  async function* fromViewer() {
    for await (const chunk of sock) yield { data: chunk as Buffer };
  }
  try {
    for await (const res of client.vnc(fromViewer(), { signal })) {
      if (!sock.write(res.data)) await once(sock, "drain", { signal });
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}
