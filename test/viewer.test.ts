/**
 * The live view's server side without a browser: the page and noVNC's files
 * (and nothing else) over plain HTTP, the `/vnc` WebSocket's token check, a
 * raw RFB client over it (with and without view_only=1, so view-only is shown
 * to be the service's doing, not the page's), and the close at shutdown.
 * (ViewOnlyFilter's framing is specified byte by byte in test/unit/view-only.test.ts.)
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import http from "node:http";
import { createRequire } from "node:module";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import { quietFor } from "./helpers/process.js";
import { keyEvent, pointerEvent, RfbClient } from "./helpers/rfb.js";
import { startTestServer, type TestServer, useTestServer } from "./helpers/server.js";
import { TestWindows } from "./helpers/xwindow.js";

const wsUrl = (t: TestServer, query = "") => `${t.url.replace(/^http/, "ws")}/vnc${query}`;

/** GET (or another method) of a raw path, unnormalised, over HTTP/1.1. */
function request(
  t: TestServer,
  path: string,
  method = "GET",
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${t.url}/`, { method, path }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject).end();
  });
}

/** Status of a refused WebSocket upgrade, or "open". */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<number | "open"> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once("unexpected-response", (_req, res) => resolve(res.statusCode!));
    ws.once("open", () => {
      ws.close();
      resolve("open");
    });
    ws.once("error", (e) => (/Unexpected server response/.test(e.message) ? undefined : reject(e)));
  });
}

/** A WebSocket viewer through the RFB handshake. */
async function connect(url: string): Promise<RfbClient> {
  const v = await RfbClient.overWebSocket(url);
  await v.handshake();
  return v;
}

describe("live view: page, files and the /vnc WebSocket", () => {
  const t = useTestServer({ geometry: { width: 640, height: 480 } });
  let w: TestWindows;
  before(async () => {
    const { display, cookie } = t().x11();
    w = await TestWindows.open(display, cookie);
    await w.window(0, 0, 640, 480, 0x202020, { record: true, focus: true });
  });
  after(async () => {
    w?.close();
  });

  it("GET / is the page, with a strict CSP and no referrer; noVNC's modules come from node_modules; no token needed", async () => {
    const page = await request(t(), "/");
    assert.equal(page.status, 200);
    assert.match(String(page.headers["content-type"]), /^text\/html/);
    assert.match(String(page.headers["content-security-policy"]), /default-src 'none'; script-src 'self'/);
    assert.equal(page.headers["referrer-policy"], "no-referrer");
    assert.match(page.body, /<script type="module" src="viewer.js">/);
    const rfb = await request(t(), "/novnc/core/rfb.js");
    assert.equal(rfb.status, 200);
    assert.match(String(rfb.headers["content-type"]), /^text\/javascript/);
    assert.equal(rfb.body, await readFile(createRequire(import.meta.url).resolve("@novnc/novnc"), "utf8"));
    assert.equal((await request(t(), "/novnc/vendor/pako/lib/zlib/inflate.js")).status, 200);
    assert.equal((await request(t(), "/viewer.js")).status, 200);
    const head = await request(t(), "/viewer.css", "HEAD");
    assert.deepEqual([head.status, head.body], [200, ""]);
  });

  it("serves nothing else: other files, path traversal and other methods are refused", async () => {
    for (const path of [
      "/nope.js",
      "/novnc/core/../../package.json",
      "/novnc/core/..%2f..%2fpackage.json",
      "/%2e%2e/package.json",
      "/novnc/README.md",
      "/viewer.js%00",
    ]) {
      assert.equal((await request(t(), path)).status, 404, path);
    }
    assert.equal((await request(t(), "/", "POST")).status, 405);
    // A target that starts with "//" is a path here, not a host (it answered 500).
    assert.equal((await request(t(), "//")).status, 404);
    assert.equal((await request(t(), "//viewer.js")).status, 200);
  });

  it("the WebSocket needs the token (query or Authorization header); other paths are 404", async () => {
    assert.equal(await upgrade(wsUrl(t())), 401);
    assert.equal(await upgrade(wsUrl(t(), "?token=wrong-wrong-wrong-wrong")), 401);
    assert.equal(await upgrade(wsUrl(t()), { authorization: "Bearer wrong-wrong-wrong-wrong" }), 401);
    assert.equal(await upgrade(wsUrl(t(), `?token=${encodeURIComponent(t().token)}`)), "open");
    assert.equal(await upgrade(wsUrl(t()), { authorization: `Bearer ${t().token}` }), "open");
    assert.equal(await upgrade(wsUrl(t()).replace("/vnc", "/other")), 404);
    assert.equal(await upgrade(wsUrl(t(), `?token=${encodeURIComponent(t().token)}`).replace("/vnc", "//vnc")), 404);
    assert.equal((await request(t(), "/")).status, 200, "the server still serves");
  });

  it("a raw RFB client's pointer and key events move and type on the desktop", async () => {
    const v = await connect(wsUrl(t(), `?token=${encodeURIComponent(t().token)}`));
    w.clear();
    v.send(pointerEvent(300, 200));
    v.send(keyEvent(true, 0x61));
    v.send(keyEvent(false, 0x61));
    await v.barrier();
    assert.deepEqual(await (await t().host.session()).cursorPosition(), { x: 300, y: 200 });
    await w.waitFor((e) => e.some((x) => x.type === "KeyRelease"));
    v.end();
  });

  it("view_only=1 is enforced by the service: input is dropped, the screen still updates", async () => {
    await (await t().host.session()).input.move({ x: 10, y: 10 });
    const v = await connect(wsUrl(t(), `?token=${encodeURIComponent(t().token)}&view_only=1`));
    w.clear();
    v.send(pointerEvent(300, 200, 1));
    v.send(pointerEvent(300, 200, 0));
    v.send(keyEvent(true, 0x61));
    v.send(keyEvent(false, 0x61));
    // A 100 kB ClientCutText in three frames, header split too: skipped, not passed on.
    const cut = Buffer.concat([Buffer.from([6, 0, 0, 0, 0, 1, 0x86, 0xa0]), Buffer.alloc(100_000, 0x41)]);
    v.send(cut.subarray(0, 5));
    v.send(cut.subarray(5, 50_000));
    v.send(cut.subarray(50_000));
    await v.barrier();
    await quietFor(200);
    assert.deepEqual(await (await t().host.session()).cursorPosition(), { x: 10, y: 10 });
    assert.deepEqual(w.events, []);
    v.end();
  });

  it("view_only=1: a client the filter cannot follow (RFB 3.3) is cut off, though the VNC server itself takes it", {
    timeout: 20_000,
  }, async () => {
    const rfb33 = async (query: string) => {
      const v = await RfbClient.overWebSocket(wsUrl(t(), `?token=${encodeURIComponent(t().token)}${query}`));
      await v.read(12);
      v.send(Buffer.from("RFB 003.003\n"));
      return v;
    };
    const plain = await rfb33("");
    assert.equal((await plain.read(4)).readUInt32BE(0), 1, "RFB 3.3: the server chose security None");
    plain.send(Buffer.from([1]));
    await plain.read(24);
    await plain.barrier();
    plain.end();
    const viewOnly = await rfb33("&view_only=1");
    await viewOnly.done;
    const again = await connect(wsUrl(t(), `?token=${encodeURIComponent(t().token)}&view_only=1`));
    await again.barrier();
    again.end();
  });
});

describe("live view at shutdown", () => {
  it("closes viewers with 1001 (going away) and refuses new ones", async () => {
    const t = await startTestServer({ geometry: { width: 320, height: 240 } });
    const v = await connect(wsUrl(t, `?token=${encodeURIComponent(t.token)}`));
    const closing = t.close();
    assert.equal(await v.done, 1001);
    await closing;
  });
});
