/**
 * Behind a router that speaks only HTTP/1.1 and WebSocket, as fleets put in
 * front of desktops (agent-sandbox's sandbox-router, host-name routers,
 * nginx): nginx from Debian with a 3 s read timeout in front of a real
 * desktop. The TS client's Connect and gRPC-Web over HTTP/1.1 pass (a click
 * and text reach an X window, screenshots come back); a Screenshot stream on
 * a still screen stays open past the timeout with keep-alives and is cut
 * without them; native gRPC does not pass; a stock VNC viewer works through
 * the /vnc WebSocket (desktopd vnc-forward --protocol connect), and an idle
 * viewer survives the timeout on the service's pings.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Code, ConnectError } from "@connectrpc/connect";
import { execa } from "execa";
import sharp from "sharp";
import { WebSocket } from "ws";
import { createDesktopClient } from "../src/client/client.js";
import { forwardVnc } from "../src/client/vnc-forward.js";
import type { WebSocketConstructor } from "../src/client/vnc-websocket.js";
import { SANDBOX_ID, useNginx } from "./helpers/nginx.js";
import { isRed, rgbAt } from "./helpers/pixels.js";
import { stderrMatch } from "./helpers/process.js";
import { RfbClient, updateRequest } from "./helpers/rfb.js";
import { useTestServer } from "./helpers/server.js";
import { type RecordedEvent, TestWindows } from "./helpers/xwindow.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const READ_TIMEOUT_S = 3;
/** The header the proxy routes by, as agent-sandbox's router does. */
const ROUTE = { "X-Sandbox-ID": SANDBOX_ID };

describe("behind an HTTP/1.1 reverse proxy (nginx, 3 s read timeout)", () => {
  const t = useTestServer({ geometry: { width: 640, height: 480 }, viewerPingMs: 1000 });
  const proxy = useNginx(() => t().url, { readTimeoutS: READ_TIMEOUT_S });
  let w: TestWindows;
  let dir: string;
  before(async () => {
    const { display, cookie } = t().x11();
    w = await TestWindows.open(display, cookie);
    await w.window(100, 100, 200, 150, 0xff0000, { record: true, focus: true, grabKeyboard: true });
    dir = await mkdtemp(join(tmpdir(), "desktopd-proxy-"));
  });
  after(async () => {
    w.close();
    await rm(dir, { recursive: true, force: true });
  });

  const client = (protocol: "connect" | "grpc-web" | "grpc") =>
    createDesktopClient({
      baseUrl: proxy().url,
      token: t().token,
      protocol,
      httpVersion: protocol === "grpc" ? "2" : "1.1",
      headers: ROUTE,
    });

  async function typed(evs: RecordedEvent[]): Promise<string> {
    const out: string[] = [];
    for (const e of evs.filter((e) => e.type === "KeyPress")) {
      const ks = await w.keysym(e);
      if (ks < 0xff00) out.push(String.fromCodePoint(ks));
    }
    return out.join("");
  }

  for (const protocol of ["connect", "grpc-web"] as const) {
    it(`${protocol} over HTTP/1.1: GetDisplay, a click and text reach the window, a screenshot comes back`, async () => {
      const c = client(protocol);
      const display = await c.getDisplay({});
      assert.deepEqual([display.nativeSize?.width, display.nativeSize?.height], [640, 480]);
      w.clear();
      await c.action({ action: { case: "leftClick", value: { coordinate: { x: 150, y: 160 } } } });
      await c.action({ action: { case: "type", value: { text: `via ${protocol}` } } });
      const evs = await w.waitFor((e) => e.filter((x) => x.type === "KeyRelease").length >= `via ${protocol}`.length);
      const click = evs.find((e) => e.type === "ButtonPress");
      assert.deepEqual([click?.detail, click?.rootX, click?.rootY], [1, 150, 160]);
      assert.equal(await typed(evs), `via ${protocol}`);
      const [frame] = await collect(c.screenshot({ maxFps: 0 }));
      const file = join(dir, `${protocol}.png`);
      await sharp(frame.image?.data).toFile(file);
      assert.ok(isRed(await rgbAt(file, 150, 160)), "the red window in the screenshot");
    });
  }

  it("the router's header goes with every call and the /vnc WebSocket: without it the proxy answers 404", async () => {
    const bare = createDesktopClient({ baseUrl: proxy().url, token: t().token, protocol: "connect", httpVersion: "1.1" });
    await assert.rejects(bare.getDisplay({}), (e) => ConnectError.from(e).code === Code.Unimplemented);
    const r = await execa(
      "node",
      ["--import", "tsx", MAIN, "clipboard", "get", "--protocol", "grpc-web", "--header", `X-Sandbox-ID:${SANDBOX_ID}`],
      {
        env: { DESKTOPD_LOG_LEVEL: "error", DESKTOPD_URL: proxy().url, DESKTOPD_TOKEN: t().token },
        reject: false,
      },
    );
    assert.equal(r.exitCode, 0, r.stderr);
    const refused = await execa("node", ["--import", "tsx", MAIN, "clipboard", "get", "--header", "Authorization:x"], { reject: false });
    assert.deepEqual([refused.exitCode, /--header: the token goes in --token/.test(refused.stderr)], [2, true], refused.stderr);
  });

  it("native gRPC (HTTP/2 prior knowledge) does not pass an HTTP/1.1 proxy", async () => {
    await assert.rejects(client("grpc").getDisplay({}, { timeoutMs: 10_000 }), (e) => e instanceof ConnectError);
  });

  it("a Screenshot stream on a still screen: with keepalive_ms it outlives the read timeout; without, the proxy cuts it", async () => {
    // One still pixel: nothing on it changes, so only keep-alives can flow.
    const still = { maxFps: 5, region: { x: 639, y: 479, width: 1, height: 1 } };
    const kept = client("connect")
      .screenshot({ ...still, keepaliveMs: 1000 })
      [Symbol.asyncIterator]();
    const started = Date.now();
    const first = await kept.next();
    assert.equal(first.value?.sequence, 1n);
    let keepalives = 0;
    while (Date.now() - started < (READ_TIMEOUT_S + 2) * 1000) {
      const m = await kept.next();
      assert.equal(m.done, false, "the stream is still open");
      if (m.value?.keepalive) keepalives++;
    }
    await kept.return?.(undefined);
    assert.ok(keepalives >= READ_TIMEOUT_S, `${keepalives} keep-alives`);

    const cut = client("connect").screenshot(still)[Symbol.asyncIterator]();
    await cut.next();
    const t0 = Date.now();
    const ended = await cut.next().then(
      (r) => (r.done ? "ended" : "a message"),
      (e: unknown) => `failed: ${ConnectError.from(e).code}`,
    );
    assert.match(ended, /^(ended|failed)/, "the proxy cut the quiet stream");
    assert.ok(Date.now() - t0 >= (READ_TIMEOUT_S - 1) * 1000, "after its read timeout");
  });

  it("VNC through the /vnc WebSocket: vncsnapshot through `desktopd vnc-forward --protocol connect` gets the screen", async () => {
    const proc = execa(
      "node",
      [
        "--import",
        "tsx",
        MAIN,
        "vnc-forward",
        "--listen",
        "127.0.0.1:0",
        "--protocol",
        "connect",
        "--header",
        `X-Sandbox-ID: ${SANDBOX_ID}`,
      ],
      {
        env: { DESKTOPD_LOG_LEVEL: "error", DESKTOPD_URL: proxy().url, DESKTOPD_TOKEN: t().token },
        reject: false,
      },
    );
    try {
      const [, port] = await stderrMatch(proc, proc, /VNC on 127\.0\.0\.1:(\d+) .* over its \/vnc WebSocket/);
      const file = join(dir, "vnc.jpg");
      await execa("vncsnapshot", ["-quiet", "-encodings", "copyrect zlib hextile raw", `127.0.0.1::${port}`, file], { timeout: 30_000 });
      const { width, height } = await sharp(file).metadata();
      assert.deepEqual([width, height], [640, 480]);
      assert.ok(isRed(await rgbAt(file, 200, 175)), "the red window, seen through the proxy");
      assert.match(await proxy().logs(), /GET \/vnc HTTP\/1\.1" 101/, "it went through nginx as a WebSocket");
    } finally {
      proc.kill("SIGTERM");
      await proc;
    }
  });

  it("an idle VNC viewer outlives the read timeout: the service's pings keep the tunnel open", async () => {
    const fwd = await forwardVnc({
      websocket: { baseUrl: proxy().url, token: t().token, headers: ROUTE, WebSocket: WebSocket as unknown as WebSocketConstructor },
      port: 0,
    });
    try {
      const rfb = await RfbClient.overTcp("127.0.0.1", fwd.port);
      const init = await rfb.handshake();
      assert.deepEqual([init.width, init.height], [640, 480]);
      await new Promise((r) => setTimeout(r, (READ_TIMEOUT_S + 2) * 1000));
      rfb.send(updateRequest(init.width, init.height));
      const [type] = await rfb.read(1);
      assert.equal(type, 0, "a FramebufferUpdate after the idle spell");
      rfb.end();
    } finally {
      await fwd.close();
    }
  });
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const m of it) out.push(m);
  return out;
}
