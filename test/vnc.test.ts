/**
 * The Vnc RPC carries a real RFB session: handshake, ServerInit with the
 * desktop's size, and a framebuffer update, on two streams at once. The VNC
 * server never locks viewers out: the service authenticates them, so Xvnc's
 * blacklist is off.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { pino } from "pino";
import { eventually, until } from "./helpers/process.js";
import { pointerEvent, RfbClient, updateRequest } from "./helpers/rfb.js";
import { useTestServer } from "./helpers/server.js";

/** The service's log lines. */
const logLines: string[] = [];
const logger = pino(
  { level: "info" },
  new Writable({
    write(chunk, _enc, done) {
      logLines.push(...chunk.toString().split("\n").filter(Boolean));
      done();
    },
  }),
);

describe("Vnc RPC", () => {
  const t = useTestServer({ logger });

  it("carries an RFB handshake and a framebuffer update, on two streams at once", async () => {
    const a = RfbClient.overVnc(t().grpc);
    const b = RfbClient.overVnc(t().grpc);
    const [ia, ib] = await Promise.all([a.handshake(), b.handshake()]);
    for (const init of [ia, ib]) {
      assert.equal(init.version, "RFB 003.008\n");
      assert.deepEqual([init.width, init.height], [1920, 1080]);
    }
    const [ra, rb] = await Promise.all([a.update(64, 64), b.update(1920, 1080)]);
    assert.ok(ra >= 1 && rb >= 1);
    a.end();
    b.end();
    await Promise.all([a.done, b.done]);
  });

  it("the client closing its side ends the call", async () => {
    const c = RfbClient.overVnc(t().grpc);
    await c.handshake();
    c.end();
    await c.done; // resolves: the server ended the stream
  });

  it("cancellation ends the call with CANCELED, and the service logs it so (20 of 20)", async () => {
    const from = logLines.length;
    for (let i = 0; i < 20; i++) {
      const ac = new AbortController();
      const c = RfbClient.overVnc(t().grpc, ac.signal);
      await c.handshake();
      // Cancelled while the server sends (a whole framebuffer) and the client still writes.
      c.send(updateRequest(1920, 1080));
      c.send(pointerEvent(i, i));
      await c.read(1);
      ac.abort();
      await assert.rejects(c.done, (e: unknown) => ConnectError.from(e).code === Code.Canceled);
    }
    const vncLines = () => logLines.slice(from).filter((l) => l.includes('"method":"desktop.v1.DesktopService/Vnc"'));
    await until(() => vncLines().length >= 20, "a log line for each of the 20 calls");
    assert.deepEqual(
      vncLines().map((l) => JSON.parse(l).code),
      Array(20).fill("canceled"),
    );
  });

  it("the VNC server blacklists no one: after 6 calls closed before the handshake and 8 at once, a Vnc call and a /vnc viewer still shake hands", async () => {
    // Xvnc's default (UseBlacklist) refused every viewer for 10 s after 5 unauthenticated attempts from one host, and every viewer is the service.
    const abandon = async () => {
      const c = RfbClient.overVnc(t().grpc);
      assert.equal((await c.read(12)).toString("latin1"), "RFB 003.008\n");
      c.end();
      await c.done;
    };
    for (let i = 0; i < 6; i++) await abandon();
    await Promise.all(Array.from({ length: 8 }, abandon));
    const rpc = RfbClient.overVnc(t().grpc);
    assert.deepEqual((await rpc.handshake()).width, 1920);
    rpc.end();
    const viewer = await RfbClient.overWebSocket(`${t().url.replace(/^http/, "ws")}/vnc?token=${encodeURIComponent(t().token)}`);
    assert.deepEqual((await viewer.handshake()).width, 1920);
    viewer.end();
    await Promise.all([rpc.done, viewer.done]);
  });

  // Last: it kills this suite's desktop.
  it("the desktop dying ends the call UNAVAILABLE, unlike a normal close, and the next call gets a new desktop", async () => {
    const c = RfbClient.overVnc(t().grpc);
    await c.handshake();
    process.kill(t().pids()[0], "SIGKILL");
    await assert.rejects(c.done, (e: unknown) => {
      const err = ConnectError.from(e);
      return err.code === Code.Unavailable && /VNC server closed the connection/.test(err.message);
    });
    // A call racing the death's notice may fail UNAVAILABLE too; a later one gets the new desktop.
    const version = await eventually(async () => {
      const next = RfbClient.overVnc(t().grpc);
      const init = await next.handshake();
      next.end();
      await next.done;
      return init.version;
    }, 15_000);
    assert.equal(version, "RFB 003.008\n");
  });
});
