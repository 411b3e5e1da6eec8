/**
 * The live view's server side without a browser: the page and noVNC's files
 * (and nothing else) over plain HTTP, the `/vnc` WebSocket's token check, a
 * raw RFB client over it (with and without view_only=1, so view-only is shown
 * to be the service's doing, not the page's), and the close at shutdown.
 * ViewOnlyFilter's framing is specified byte by byte.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import http from "node:http";
import { createRequire } from "node:module";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import { ViewOnlyFilter } from "../src/server/viewer/view-only.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
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

/** A minimal RFB 3.8 client over the WebSocket: enough to send input and wait for a framebuffer update. */
class RawViewer {
  private buf = Buffer.alloc(0);
  private waiter?: () => void;
  readonly closed: Promise<{ code: number }>;
  private constructor(readonly ws: WebSocket) {
    ws.on("message", (m: Buffer) => {
      this.buf = Buffer.concat([this.buf, m]);
      this.waiter?.();
    });
    this.closed = new Promise((resolve) => ws.once("close", (code) => resolve({ code })));
  }

  /** The WebSocket open, no RFB said yet. */
  static async open(url: string): Promise<RawViewer> {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    return new RawViewer(ws);
  }

  /** Open, through the RFB 3.8 handshake (security None) to ServerInit. */
  static async connect(url: string): Promise<RawViewer> {
    const v = await RawViewer.open(url);
    assert.match((await v.read(12)).toString("latin1"), /^RFB 003\.008\n$/);
    v.send(Buffer.from("RFB 003.008\n"));
    const n = (await v.read(1))[0];
    assert.ok((await v.read(n)).includes(1), "security type None offered");
    v.send(Buffer.from([1]));
    assert.equal((await v.read(4)).readUInt32BE(0), 0, "SecurityResult OK");
    v.send(Buffer.from([1])); // ClientInit, shared
    const init = await v.read(24);
    await v.read(init.readUInt32BE(20)); // desktop name
    return v;
  }

  send(b: Buffer): void {
    this.ws.send(b);
  }

  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n) await new Promise<void>((r) => (this.waiter = r));
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /**
   * Asks for a 1x1 framebuffer update and waits for it: the VNC server
   * handles a connection's messages in order, so whatever was sent before
   * has been acted on.
   */
  async barrier(): Promise<void> {
    this.buf = Buffer.alloc(0);
    this.send(Buffer.from([3, 0, 0, 0, 0, 0, 0, 1, 0, 1]));
    assert.equal((await this.read(1))[0], 0, "FramebufferUpdate");
  }
}

const pointerEvent = (x: number, y: number, mask = 0) => Buffer.from([5, mask, x >> 8, x & 255, y >> 8, y & 255]);
const keyEvent = (down: boolean, keysym: number) =>
  Buffer.from([4, down ? 1 : 0, 0, 0, keysym >> 24, (keysym >> 16) & 255, (keysym >> 8) & 255, keysym & 255]);

describe("live view: page, files and the /vnc WebSocket", () => {
  let t: TestServer;
  let w: TestWindows;
  before(async () => {
    t = await startTestServer({ geometry: { width: 640, height: 480 } });
    const { display, cookie } = t.x11();
    w = await TestWindows.open(display, cookie);
    await w.window(0, 0, 640, 480, 0x202020, { record: true, focus: true });
  });
  after(async () => {
    w?.close();
    await t?.close();
  });

  it("GET / is the page, with a strict CSP and no referrer; noVNC's modules come from node_modules; no token needed", async () => {
    const page = await request(t, "/");
    assert.equal(page.status, 200);
    assert.match(String(page.headers["content-type"]), /^text\/html/);
    assert.match(String(page.headers["content-security-policy"]), /default-src 'none'; script-src 'self'/);
    assert.equal(page.headers["referrer-policy"], "no-referrer");
    assert.match(page.body, /<script type="module" src="viewer.js">/);
    const rfb = await request(t, "/novnc/core/rfb.js");
    assert.equal(rfb.status, 200);
    assert.match(String(rfb.headers["content-type"]), /^text\/javascript/);
    assert.equal(rfb.body, await readFile(createRequire(import.meta.url).resolve("@novnc/novnc"), "utf8"));
    assert.equal((await request(t, "/novnc/vendor/pako/lib/zlib/inflate.js")).status, 200);
    assert.equal((await request(t, "/viewer.js")).status, 200);
    const head = await request(t, "/viewer.css", "HEAD");
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
      assert.equal((await request(t, path)).status, 404, path);
    }
    assert.equal((await request(t, "/", "POST")).status, 405);
  });

  it("the WebSocket needs the token (query or Authorization header); other paths are 404", async () => {
    assert.equal(await upgrade(wsUrl(t)), 401);
    assert.equal(await upgrade(wsUrl(t, "?token=wrong-wrong-wrong-wrong")), 401);
    assert.equal(await upgrade(wsUrl(t), { authorization: "Bearer wrong-wrong-wrong-wrong" }), 401);
    assert.equal(await upgrade(wsUrl(t, `?token=${encodeURIComponent(t.token)}`)), "open");
    assert.equal(await upgrade(wsUrl(t), { authorization: `Bearer ${t.token}` }), "open");
    assert.equal(await upgrade(wsUrl(t).replace("/vnc", "/other")), 404);
  });

  it("a raw RFB client's pointer and key events move and type on the desktop", async () => {
    const v = await RawViewer.connect(wsUrl(t, `?token=${encodeURIComponent(t.token)}`));
    w.clear();
    v.send(pointerEvent(300, 200));
    v.send(keyEvent(true, 0x61));
    v.send(keyEvent(false, 0x61));
    await v.barrier();
    assert.deepEqual(await t.desktop.cursorPosition(), { x: 300, y: 200 });
    await w.waitFor((e) => e.some((x) => x.type === "KeyRelease"));
    v.ws.close();
  });

  it("view_only=1 is enforced by the service: input is dropped, the screen still updates", async () => {
    await t.desktop.move({ x: 10, y: 10 });
    const v = await RawViewer.connect(wsUrl(t, `?token=${encodeURIComponent(t.token)}&view_only=1`));
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
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await t.desktop.cursorPosition(), { x: 10, y: 10 });
    assert.deepEqual(w.events, []);
    v.ws.close();
  });

  it("view_only=1: a client the filter cannot follow (RFB 3.3) is cut off, though the VNC server itself takes it", {
    timeout: 20_000,
  }, async () => {
    const rfb33 = async (query: string) => {
      const v = await RawViewer.open(wsUrl(t, `?token=${encodeURIComponent(t.token)}${query}`));
      await v.read(12);
      v.send(Buffer.from("RFB 003.003\n"));
      return v;
    };
    const plain = await rfb33("");
    assert.equal((await plain.read(4)).readUInt32BE(0), 1, "RFB 3.3: the server chose security None");
    plain.send(Buffer.from([1]));
    await plain.read(24);
    await plain.barrier();
    plain.ws.close();
    const viewOnly = await rfb33("&view_only=1");
    await viewOnly.closed;
    const again = await RawViewer.connect(wsUrl(t, `?token=${encodeURIComponent(t.token)}&view_only=1`));
    await again.barrier();
    again.ws.close();
  });
});

describe("live view at shutdown", () => {
  it("closes viewers with 1001 (going away) and refuses new ones", async () => {
    const t = await startTestServer({ geometry: { width: 320, height: 240 } });
    const v = await RawViewer.connect(wsUrl(t, `?token=${encodeURIComponent(t.token)}`));
    const closing = t.close();
    assert.equal((await v.closed).code, 1001);
    await closing;
  });
});

describe("ViewOnlyFilter", () => {
  /** Runs `bytes` through a filter one byte at a time; returns what passed, or the error. */
  async function filter(bytes: Buffer): Promise<{ out: Buffer; dropped: Record<string, number>; error?: string }> {
    const f = new ViewOnlyFilter();
    const out: Buffer[] = [];
    f.on("data", (b: Buffer) => out.push(b));
    const error = await new Promise<string | undefined>((resolve) => {
      f.once("error", (e) => resolve(e.message));
      f.once("end", () => resolve(undefined));
      for (const byte of bytes) f.write(Buffer.from([byte]));
      f.end();
    });
    return { out: Buffer.concat(out), dropped: f.dropped, error };
  }
  const handshake = Buffer.concat([Buffer.from("RFB 003.008\n"), Buffer.from([1, 1])]);
  const setEncodings = (...encs: number[]) => {
    const b = Buffer.alloc(4 + 4 * encs.length);
    b[0] = 2;
    b.writeUInt16BE(encs.length, 2);
    encs.forEach((e, i) => b.writeInt32BE(e, 4 + 4 * i));
    return b;
  };
  const fbRequest = Buffer.from([3, 1, 0, 0, 0, 0, 1, 0, 1, 0]);
  const fence = Buffer.from([248, 0, 0, 0, 0, 0, 0, 1, 2, 0xaa, 0xbb]);

  it("passes the handshake, pixel requests and fences; drops key, pointer, clipboard, resize, xvp and QEMU key events", async () => {
    const dropped = [
      keyEvent(true, 0x61),
      pointerEvent(1, 2, 1),
      Buffer.from([6, 0, 0, 0, 0, 0, 0, 3, 120, 121, 122]), // ClientCutText "xyz"
      Buffer.from([6, 0, 0, 0, 0xff, 0xff, 0xff, 0xfc, 0, 0, 0, 1]), // extended clipboard: length -4
      Buffer.concat([Buffer.from([251, 0, 1, 0, 1, 0, 1, 0]), Buffer.alloc(16)]), // SetDesktopSize, 1 screen
      Buffer.from([250, 0, 1, 2]), // xvp shutdown
      Buffer.from([255, 0, 0, 1, 0, 0, 0, 0x61, 0, 0, 0, 0x1e]), // QEMU extended key event
    ];
    const passed = [setEncodings(0, 7, -223), fbRequest, fence, Buffer.from([150, 1, 0, 0, 0, 0, 1, 0, 1, 0])];
    const r = await filter(Buffer.concat([handshake, passed[0], ...dropped, passed[1], passed[2], passed[3]]));
    assert.equal(r.error, undefined);
    assert.deepEqual(r.out, Buffer.concat([handshake, ...passed]));
    assert.deepEqual(r.dropped, { KeyEvent: 1, PointerEvent: 1, ClientCutText: 2, SetDesktopSize: 1, xvp: 1, QEMU: 1 });
  });

  it("frames a 7-byte PointerEvent only after the client asked for ExtendedMouseButtons", async () => {
    const extended = Buffer.from([5, 0x81, 0, 1, 0, 2, 1]);
    const r = await filter(Buffer.concat([handshake, setEncodings(-316), extended, fbRequest]));
    assert.deepEqual(r.out, Buffer.concat([handshake, setEncodings(-316), fbRequest]));
    // Without it, 0x80 is button 8 of a 6-byte event.
    const plain = await filter(Buffer.concat([handshake, Buffer.from([5, 0x80, 0, 1, 0, 2]), fbRequest]));
    assert.deepEqual(plain.out, Buffer.concat([handshake, fbRequest]));
  });

  it("passes a VNC authentication response; refuses RFB 3.3, other security types and unknown messages", async () => {
    const vncAuth = Buffer.concat([Buffer.from("RFB 003.008\n"), Buffer.from([2]), Buffer.alloc(16, 9), Buffer.from([1])]);
    assert.deepEqual((await filter(Buffer.concat([vncAuth, fbRequest]))).out, Buffer.concat([vncAuth, fbRequest]));
    assert.match((await filter(Buffer.from("RFB 003.003\n\x01"))).error!, /unsupported RFB version/);
    assert.match((await filter(Buffer.from("RFB 003.008\n\x13"))).error!, /unsupported security type 19/);
    assert.match((await filter(Buffer.concat([handshake, Buffer.from([77, 0, 0, 0])]))).error!, /unknown RFB client message type 77/);
    assert.match((await filter(Buffer.concat([handshake, Buffer.from([255, 9, 0, 0])]))).error!, /unknown QEMU submessage 9/);
  });
});
