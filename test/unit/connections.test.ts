/**
 * Connections that do no work are closed, and there is a cap on how many may
 * be open: idle sockets, slowloris HTTP/1.1 headers, a half-sent HTTP/2
 * preface, an HTTP/2 session left without streams. Past the cap the oldest
 * idle unauthenticated connection makes room (logged), so a flood of idle
 * connections cannot lock out a client with the token. A real server on
 * loopback with short limits, raw sockets.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect as h2connect } from "node:http2";
import net from "node:net";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { pino } from "pino";
import { createDesktopClient } from "../../src/client/client.js";
import type { ConnectionLimits } from "../../src/server/transport/connection-limits.js";
import { useFakeServer } from "../helpers/fake-server.js";
import { until } from "../helpers/process.js";

const LIMITS: ConnectionLimits = { maxConnections: 5, firstRequestMs: 300, requestMs: 2000, idleSessionMs: 400, handshakeMs: 300 };
/** Far beyond every limit above: a socket still open then was never closed. */
const NEVER_MS = 4000;

const logLines: string[] = [];
const logger = pino(
  { level: "warn" },
  new Writable({
    write(chunk, _enc, done) {
      logLines.push(chunk.toString());
      done();
    },
  }),
);

/** Resolves how long `sock` stayed open, ms, or `never` when it still is. */
async function openFor(sock: net.Socket, started = Date.now(), never = NEVER_MS): Promise<number> {
  const closed = once(sock, "close").then(() => Date.now() - started);
  const timeout = new Promise<number>((r) => setTimeout(() => r(never), never).unref());
  const ms = await Promise.race([closed, timeout]);
  sock.destroy();
  return ms;
}

function dial(url: string): Promise<net.Socket> {
  const { port } = new URL(url);
  const sock = net.connect(Number(port), "127.0.0.1");
  sock.on("error", () => undefined);
  return once(sock, "connect").then(() => sock);
}

describe("connection limits", () => {
  const t = useFakeServer({ connectionLimits: LIMITS, logger });

  it("a connection that sends nothing is closed after the first-request limit", async () => {
    assert.ok((await openFor(await dial(t().url))) < NEVER_MS);
  });

  it("HTTP/1.1 headers sent a byte at a time (slowloris) are cut off", async () => {
    const sock = await dial(t().url);
    sock.write("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    const drip = setInterval(() => sock.writable && sock.write("X"), 50);
    try {
      assert.ok((await openFor(sock)) < NEVER_MS);
    } finally {
      clearInterval(drip);
    }
  });

  it("a later request on a kept-alive HTTP/1.1 connection whose body never ends is cut at the request limit", async () => {
    const sock = await dial(t().url);
    sock.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    await once(sock, "data");
    sock.write("POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n");
    const drip = setInterval(() => sock.writable && sock.write("{"), 50);
    try {
      const started = Date.now();
      // Node looks at its request limits once a second: give the check room on a loaded machine.
      const ms = await openFor(sock, started, LIMITS.requestMs + 6000);
      assert.ok(ms >= LIMITS.requestMs - 100 && ms < LIMITS.requestMs + 6000, `closed after ${ms} ms`);
    } finally {
      clearInterval(drip);
    }
  });

  it("a half-sent HTTP/2 preface is cut off", async () => {
    const sock = await dial(t().url);
    sock.write("PRI * HTTP/2.0\r\n");
    assert.ok((await openFor(sock)) < NEVER_MS);
  });

  it("an HTTP/2 session without an open stream is closed (GOAWAY) after the idle limit; one in use is not", async () => {
    const session = h2connect(t().url);
    session.on("error", () => undefined);
    const started = Date.now();
    const req = session.request({ ":method": "POST", ":path": "/grpc.health.v1.Health/Check", "content-type": "application/json" });
    req.end("{}");
    req.resume();
    await once(req, "end");
    const closed = await Promise.race([once(session, "close").then(() => true), new Promise((r) => setTimeout(() => r(false), NEVER_MS))]);
    assert.ok(closed, "the idle session was closed");
    assert.ok(Date.now() - started >= LIMITS.idleSessionMs);
  });
});

describe("shutdown and kept-alive connections", () => {
  // A grace far longer than the spec's own time limit: the close must not wait for it.
  const t = useFakeServer({ connectionLimits: { ...LIMITS, firstRequestMs: 60_000 }, shutdownGraceMs: 600_000, logger });

  it("an idle keep-alive HTTP/1.1 connection is closed at once, not after the grace", { timeout: 20_000 }, async () => {
    const sock = await dial(t().url);
    sock.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    await once(sock, "data");
    const closed = once(sock, "close");
    const started = Date.now();
    await t().server.close();
    await closed;
    // Node would close it at its 5 s keep-alive timeout; drained, it goes at once (about 0.1 s here).
    assert.ok(Date.now() - started < 4000, `closed after ${Date.now() - started} ms`);
  });
});

describe("a flood of idle connections does not lock authenticated clients out", () => {
  /** The default cap, and idle limits long enough that only the cap decides. */
  const FLOOD_LIMITS: ConnectionLimits = {
    maxConnections: 1000,
    firstRequestMs: 60_000,
    requestMs: 60_000,
    idleSessionMs: 60_000,
    handshakeMs: 60_000,
  };
  const t = useFakeServer({ connectionLimits: FLOOD_LIMITS, logger });

  it("1,100 idle connections from one process: 18 of 18 normal calls succeed, and an authenticated HTTP/2 connection outlives 1,100 more", {
    timeout: 120_000,
  }, async () => {
    // An authenticated client first: its connection must survive the flood.
    const session = h2connect(t().url);
    session.on("error", () => undefined);
    const call = async () => {
      const req = session.request({
        ":method": "POST",
        ":path": "/desktop.v1.DesktopService/GetDisplay",
        "content-type": "application/json",
        authorization: `Bearer ${t().token}`,
      });
      req.end("{}");
      const [headers] = (await once(req, "response")) as [Record<string, unknown>];
      req.resume();
      await once(req, "end");
      return headers[":status"];
    };
    assert.equal(await call(), 200);
    const flood: net.Socket[] = [];
    try {
      for (let i = 0; i < 1100; i++) flood.push(await dial(t().url));
      // The oldest idle ones made room, the authenticated one stayed: the first 101 went, the rest are open.
      await until(() => flood.slice(0, 101).every((s) => s.closed), "the oldest idle connections closed");
      assert.equal(flood.filter((s) => !s.closed).length, 999);
      assert.ok(
        logLines.some((l) => l.includes("connection limit reached")),
        logLines.join(""),
      );
      const client = createDesktopClient({ baseUrl: t().url, token: t().token, protocol: "connect", httpVersion: "1.1" });
      let ok = 0;
      for (let i = 0; i < 18; i++) if ((await client.getDisplay({})).nativeSize) ok++;
      assert.equal(ok, 18);
      for (let i = 0; i < 1100; i++) flood.push(await dial(t().url));
      assert.ok(!session.closed && !session.destroyed, "the authenticated connection was kept");
      assert.equal(await call(), 200);
      assert.ok(flood.filter((s) => !s.destroyed).length <= FLOOD_LIMITS.maxConnections, "the flood got no more than the cap");
    } finally {
      for (const s of flood) s.destroy();
      session.close();
    }
  });
});
