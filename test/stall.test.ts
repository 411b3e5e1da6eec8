/**
 * A desktop that stops answering (SIGSTOP on its X server, or on a
 * portabledesktop command): calls fail UNAVAILABLE within the server's limit
 * naming the stalled part (or DEADLINE_EXCEEDED at the client's deadline),
 * health says NOT_SERVING, the input of those calls is never carried out when
 * the desktop resumes, and a desktop stalled past the longer limit is
 * replaced. Real Xvnc, real servers, both backends.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { type ActionRequest, ActionRequestSchema } from "../gen/desktop/v1/desktop_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/health/v1/health_pb.js";
import type { SessionDriver } from "../src/desktop/session.js";
import type { StallLimits } from "../src/desktop/stall.js";
import { alive, eventually, processesMentioning, quietFor, until } from "./helpers/process.js";
import { startPortableServer, startTestServer, type TestServer, useServer } from "./helpers/server.js";

const LIMITS: StallLimits = { requestTimeoutMs: 1000, replaceAfterMs: 60_000 };
const move = (x: number, y: number): ActionRequest =>
  create(ActionRequestSchema, { action: { case: "mouseMove", value: { coordinate: { x, y } } } });
const failure = (p: Promise<unknown>) =>
  p.then(
    () => assert.fail("the call succeeded"),
    (e: unknown) => ConnectError.from(e),
  );

function health(t: TestServer<SessionDriver>): Promise<Status> {
  const client = createClient(Health, createGrpcTransport({ baseUrl: t.url }));
  return client.check({ service: "desktop.v1.DesktopService" }).then((r) => r.status);
}

/** The pid of the desktop's X server (Xvnc). */
type XvncOf<D extends SessionDriver> = (t: TestServer<D>) => number;

function stallSpecs<D extends SessionDriver>(
  name: string,
  start: (limits: StallLimits) => Promise<TestServer<D>>,
  xvncOf: XvncOf<D>,
  part: RegExp,
) {
  describe(`a stalled desktop: ${name}`, () => {
    const t = useServer(() => start(LIMITS));

    it("with its X server stopped, calls fail UNAVAILABLE naming it, health says NOT_SERVING, and no input arrives after it resumes", async () => {
      const { grpc: client, host } = t();
      await client.action(move(10, 10));
      const xvnc = xvncOf(t());
      process.kill(xvnc, "SIGSTOP");
      try {
        const started = Date.now();
        const err = await failure(client.action(move(200, 150)));
        assert.equal(err.code, Code.Unavailable, err.message);
        assert.match(err.message, part);
        assert.match(err.message, /did not answer within 1000 ms/);
        assert.ok(Date.now() - started < 10_000, "the call ended near the server's limit");
        const expired = await failure(client.action(move(300, 200), { timeoutMs: 300 }));
        assert.equal(expired.code, Code.DeadlineExceeded, expired.message);
        await eventually(async () => ((await health(t())) === Status.NOT_SERVING ? true : undefined));
      } finally {
        process.kill(xvnc, "SIGCONT");
      }
      // Long enough for anything queued to be carried out, were it sent.
      await quietFor(1500);
      assert.deepEqual(await (await host.session()).cursorPosition(), { x: 10, y: 10 }, "neither move happened later");
      await eventually(async () => ((await health(t())) === Status.SERVING ? true : undefined));
      const after = await client.action(move(40, 30));
      assert.deepEqual([after.cursor?.x, after.cursor?.y], [40, 30], "the desktop works again");
    });
  });
}

stallSpecs(
  "builtin",
  (limits) => startTestServer({ geometry: { width: 640, height: 480 }, limits }),
  (t) => t.pids()[0],
  /Xvnc \(X display :\d+\)/,
);
stallSpecs(
  "portabledesktop (stand-in CLI)",
  (limits) => startPortableServer({ geometry: { width: 640, height: 480 }, limits }),
  (t) => t.pids()[0] ?? 0,
  /the portabledesktop session's X server \(:\d+\)/,
);

describe("a stalled portabledesktop command (stand-in CLI stopping itself)", () => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const t = useServer(() => startPortableServer({ geometry: { width: 640, height: 480 }, limits: LIMITS, env }));

  it("fails UNAVAILABLE naming the command, or DEADLINE_EXCEEDED at the client's deadline; the command is killed and its input never arrives", async () => {
    const { grpc: client, host } = t();
    await client.action(move(10, 10));
    env.PDSTUB_STOP = "mouse";
    try {
      const err = await failure(client.action(move(200, 150)));
      assert.equal(err.code, Code.Unavailable, err.message);
      assert.match(err.message, /portabledesktop mouse move: did not answer within 1000 ms \(stalled; killed\)/);
      const expired = await failure(client.action(move(300, 200), { timeoutMs: 300 }));
      assert.equal(expired.code, Code.DeadlineExceeded, expired.message);
      await until(() => processesMentioning("portabledesktop\0mouse\0").every((pid) => !alive(pid)), "no stopped CLI left", 5000);
    } finally {
      delete env.PDSTUB_STOP;
    }
    await quietFor(1000);
    assert.deepEqual(await (await host.session()).cursorPosition(), { x: 10, y: 10 });
  });
});

describe("a desktop stalled past --replace-after is replaced", () => {
  const t = useServer(() =>
    startTestServer({ geometry: { width: 640, height: 480 }, limits: { requestTimeoutMs: 500, replaceAfterMs: 2000 } }),
  );

  it("without waiting for a call: a new Xvnc serves, the stopped one is killed", async () => {
    await t().grpc.action(move(10, 10));
    const old = t().pids()[0];
    process.kill(old, "SIGSTOP");
    try {
      await until(() => !alive(old), "the stopped Xvnc is killed", 20_000);
    } finally {
      if (alive(old)) process.kill(old, "SIGCONT");
    }
    await eventually(async () => ((await health(t())) === Status.SERVING ? true : undefined), 20_000);
    assert.notEqual(t().pids()[0], old);
    const after = await t().grpc.action(move(40, 30));
    assert.deepEqual([after.cursor?.x, after.cursor?.y], [40, 30]);
  });
});
