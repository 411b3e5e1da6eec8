/**
 * Connections that do no work are closed, and there is a cap on how many may
 * be open: idle sockets, slowloris HTTP/1.1 headers, a half-sent HTTP/2
 * preface, an HTTP/2 session left without streams, and the connection past
 * the cap (logged). A real server on loopback with short limits, raw sockets.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect as h2connect } from "node:http2";
import net from "node:net";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { pino } from "pino";
import type { ConnectionLimits } from "../../src/server/transport/connection-limits.js";
import { useFakeServer } from "../helpers/fake-server.js";

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

/** Resolves how long `sock` stayed open, ms, or NEVER_MS when it still is. */
async function openFor(sock: net.Socket, started = Date.now()): Promise<number> {
  const closed = once(sock, "close").then(() => Date.now() - started);
  const timeout = new Promise<number>((r) => setTimeout(() => r(NEVER_MS), NEVER_MS).unref());
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

  it("past max_connections new connections are dropped, with a log line; the server serves again once they go", async () => {
    const held = await Promise.all(Array.from({ length: LIMITS.maxConnections }, () => dial(t().url)));
    const extra = await dial(t().url);
    assert.ok((await openFor(extra)) < LIMITS.firstRequestMs, "dropped at once, not by the idle limit");
    assert.ok(
      logLines.some((l) => l.includes("connection limit reached")),
      logLines.join(""),
    );
    for (const s of held) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const res = await fetch(`${t().url}/grpc.health.v1.Health/Check`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(res.status, 200);
  });
});
