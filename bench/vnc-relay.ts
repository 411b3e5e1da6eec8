/**
 * Vnc relay throughput: an RFB 3.8 client (RFC 6143) that asks for full-screen,
 * non-incremental Raw framebuffer updates one after another (the heaviest load
 * a local viewer makes) and counts the bytes, over each way a viewer reaches
 * the desktop: straight to Xvnc's Unix socket (the baseline), the `Vnc` RPC
 * (TS client, gRPC over h2c), `desktopd vnc-forward` (its own process, a TCP
 * port), and the `/vnc` WebSocket. Pixel bytes are skipped, never copied.
 */
import { once } from "node:events";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { execa } from "execa";
import { createWebSocketStream, WebSocket } from "ws";
import { type VncRequest, VncRequestSchema } from "../gen/desktop/v1/desktop_pb.js";
import { createDesktopClient } from "../src/client/client.js";
import { stderrMatch } from "../test/helpers/process.js";

/** Bytes both ways between the RFB client and a server. */
export interface Pipe {
  write(b: Buffer): void;
  data: AsyncIterable<Uint8Array>;
  close(): void;
}

export interface Throughput {
  /** MB/s (10^6 bytes) of RFB bytes received. */
  mbps: number;
  /** Full frames per second. */
  fps: number;
}

/** Reads a byte stream as RFB needs: small headers copied, pixel data skipped. */
class Reader {
  private chunks: Buffer[] = [];
  private avail = 0;
  private readonly it: AsyncIterator<Uint8Array>;
  received = 0;

  constructor(data: AsyncIterable<Uint8Array>) {
    this.it = data[Symbol.asyncIterator]();
  }

  private async fill(n: number): Promise<void> {
    while (this.avail < n) {
      const r = await this.it.next();
      if (r.done) throw new Error(`RFB stream ended (${this.avail}/${n} bytes)`);
      const b = Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      this.chunks.push(b);
      this.avail += b.length;
      this.received += b.length;
    }
  }

  async read(n: number): Promise<Buffer> {
    await this.fill(n);
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    this.avail -= n;
    return all.subarray(0, n);
  }

  async skip(n: number): Promise<void> {
    while (n > 0) {
      if (this.avail === 0) await this.fill(1);
      const c = this.chunks[0];
      const k = Math.min(n, c.length);
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
      this.avail -= k;
      n -= k;
    }
  }
}

/** Handshake (security None, shared), Raw only, then full-screen updates for `ms`. */
export async function rfbThroughput(pipe: Pipe, ms: number): Promise<Throughput> {
  const r = new Reader(pipe.data);
  await r.read(12);
  pipe.write(Buffer.from("RFB 003.008\n"));
  const [count] = await r.read(1);
  if (!(await r.read(count)).includes(1)) throw new Error("no security type None");
  pipe.write(Buffer.from([1]));
  if ((await r.read(4)).readUInt32BE(0) !== 0) throw new Error("security failed");
  pipe.write(Buffer.from([1]));
  const init = await r.read(24);
  await r.read(init.readUInt32BE(20));
  const [w, h, bpp] = [init.readUInt16BE(0), init.readUInt16BE(2), init[4] / 8];
  // SetEncodings: Raw (0) only.
  pipe.write(Buffer.from([2, 0, 0, 1, 0, 0, 0, 0]));
  const request = Buffer.from([3, 0, 0, 0, 0, 0, w >> 8, w & 255, h >> 8, h & 255]);
  // The next request goes out as an update's header arrives, as a viewer with
  // continuous updates keeps the pipe full; the server is then busy with that
  // update, so the two are never merged into one.
  const frame = async (requestNext: boolean) => {
    const head = await r.read(4);
    if (head[0] !== 0) throw new Error(`unexpected RFB message ${head[0]}`);
    if (requestNext) pipe.write(request);
    for (let i = head.readUInt16BE(2); i > 0; i--) {
      const rect = await r.read(12);
      if (rect.readInt32BE(8) === 0) await r.skip(rect.readUInt16BE(4) * rect.readUInt16BE(6) * bpp);
    }
  };
  pipe.write(request);
  for (let i = 0; i < 3; i++) await frame(true); // warm up
  const start = performance.now();
  const from = r.received;
  let frames = 0;
  for (let more = true; more; frames++) {
    more = performance.now() - start < ms;
    await frame(more);
  }
  const s = (performance.now() - start) / 1000;
  pipe.close();
  return { mbps: (r.received - from) / s / 1e6, fps: frames / s };
}

/** A TCP or Unix socket. */
export async function socketPipe(opts: net.NetConnectOpts): Promise<Pipe> {
  const sock = net.connect(opts);
  await once(sock, "connect");
  return { write: (b) => sock.write(b), data: sock, close: () => sock.destroy() };
}

/** One `Vnc` call of the TS client (gRPC, h2c). */
export function grpcPipe(url: string, token: string): Pipe {
  const client = createDesktopClient({ baseUrl: url, token });
  const outbox: Buffer[] = [];
  let wake = () => {};
  const ac = new AbortController();
  async function* requests(): AsyncGenerator<VncRequest> {
    for (;;) {
      while (outbox.length) yield create(VncRequestSchema, { data: outbox.shift() });
      await new Promise<void>((r) => (wake = r));
    }
  }
  async function* data() {
    try {
      for await (const res of client.vnc(requests(), { signal: ac.signal })) yield res.data;
    } catch (err) {
      if (!ac.signal.aborted) throw err;
    }
  }
  return {
    write: (b) => {
      outbox.push(b);
      wake();
    },
    data: data(),
    close: () => ac.abort(),
  };
}

/** The `/vnc` WebSocket. */
export async function webSocketPipe(url: string, token: string): Promise<Pipe> {
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}/vnc`, {
    headers: { authorization: `Bearer ${token}` },
    perMessageDeflate: false,
  });
  // Read from the start: the greeting can arrive in the same packet as the upgrade response.
  const stream = createWebSocketStream(ws);
  await once(ws, "open");
  return { write: (b) => ws.send(b), data: stream, close: () => ws.terminate() };
}

/** `desktopd vnc-forward` in its own process, as a user runs it; resolves its port. */
export async function startVncForward(url: string, token: string) {
  const main = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
  const proc = execa("node", ["--import", "tsx", main, "vnc-forward", "--listen", "127.0.0.1:0", "--url", url], {
    env: { DESKTOPD_TOKEN: token },
    stdout: "ignore",
    stderr: "pipe",
    reject: false,
  });
  const port = Number((await stderrMatch(proc, proc, / on 127\.0\.0\.1:(\d+)/))[1]);
  return { port, stop: () => proc.kill("SIGTERM") };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * The relay section of `npm run bench`: every path once per round, in turn,
 * so each round's ratio to the direct connection is taken on the same
 * machine load; medians over `rounds`. Returns the printed lines.
 */
export async function vncRelayBench(ep: { url: string; token: string; vncSocket: string }, rounds: number, ms: number): Promise<string[]> {
  const fwd = await startVncForward(ep.url, ep.token);
  const paths: [string, () => Promise<Pipe>][] = [
    ["direct (Xvnc Unix socket)", () => socketPipe({ path: ep.vncSocket })],
    ["Vnc RPC (TS client, gRPC)", async () => grpcPipe(ep.url, ep.token)],
    ["desktopd vnc-forward", () => socketPipe({ host: "127.0.0.1", port: fwd.port })],
    ["/vnc WebSocket", () => webSocketPipe(ep.url, ep.token)],
  ];
  const runs = paths.map(() => [] as Throughput[]);
  const ratios = paths.map(() => [] as number[]);
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [i, [, open]] of paths.entries()) runs[i].push(await rfbThroughput(await open(), ms));
      for (const [i, r] of runs.entries()) ratios[i].push(r[round].mbps / runs[0][round].mbps);
    }
  } finally {
    fwd.stop();
  }
  return [
    `Vnc relay: full-screen Raw updates, 1920x1080x32 bpp, medians of ${rounds} rounds of ${ms} ms`,
    `${"path".padEnd(28)}${"MB/s".padStart(8)}${"fps".padStart(8)}${"of direct".padStart(11)}`,
    ...paths.map(
      ([name], i) =>
        `${name.padEnd(28)}${median(runs[i].map((t) => t.mbps))
          .toFixed(0)
          .padStart(8)}` +
        `${median(runs[i].map((t) => t.fps))
          .toFixed(1)
          .padStart(8)}${`${(median(ratios[i]) * 100).toFixed(0)} %`.padStart(11)}`,
    ),
  ];
}
