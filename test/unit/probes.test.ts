/**
 * What orchestrators see, over the real HTTP server with fake desktops:
 * `/healthz` answers while the process serves, `/readyz` only while a desktop
 * takes input (503 with its state while it starts, stalls, died or is being
 * replaced, and ready again without any call), neither needs the token, and
 * gRPC health follows readiness. `/metrics` is Prometheus text behind the
 * token, where each kind of call moves its metric; `--metrics-listen` moves
 * it to a port of its own without the token.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/health/v1/health_pb.js";
import { createDesktopClient } from "../../src/client/client.js";
import type { SessionDriver } from "../../src/desktop/session.js";
import { SessionHost } from "../../src/desktop/session-host.js";
import { Recordings } from "../../src/recordings/recordings.js";
import { type ServerOptions, startServer } from "../../src/server/server.js";
import { generateToken } from "../../src/server/transport/auth.js";
import { FakeDesktop } from "../helpers/fake-desktop.js";
import { testLogger } from "../helpers/server.js";

type Driver = FakeDesktop & SessionDriver & { dead?: string };

/** A server whose desktops start only when the spec lets them (`release`). */
async function gatedServer(opts: Partial<ServerOptions> = {}) {
  const launched: Driver[] = [];
  const gates: (() => void)[] = [];
  const host = new SessionHost<Driver>(
    "fake",
    {
      launch: async () => {
        await new Promise<void>((r) => gates.push(r));
        const d = new FakeDesktop({ width: 640, height: 480 }) as Driver;
        launched.push(d);
        return d;
      },
      stop: async () => undefined,
      probe: (d) => d.dead,
    },
    { logger: testLogger() },
  );
  const logger = testLogger();
  const token = generateToken();
  const runtimeDir = await mkdtemp(join(tmpdir(), "desktopd-probes-"));
  const recordings = await Recordings.create({ host, logger, runtimeDir });
  const server = await startServer({ port: 0, ...opts, desktop: host, token, logger, recordings });
  const release = async () => {
    while (gates.length === 0) await new Promise((r) => setTimeout(r, 5));
    gates.shift()?.();
  };
  const get = async (path: string, withToken = false, base = server.url) => {
    const res = await fetch(`${base}${path}`, withToken ? { headers: { authorization: `Bearer ${token}` } } : {});
    return { status: res.status, body: (await res.text()).trim(), type: res.headers.get("content-type"), res };
  };
  const health = createClient(Health, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }));
  const client = createDesktopClient({ baseUrl: server.url, token });
  return {
    server,
    token,
    launched,
    release,
    get,
    health,
    client,
    close: async () => {
      const closing = server.close();
      for (const open of gates.splice(0)) open();
      await closing;
      await rm(runtimeDir, { recursive: true, force: true });
    },
  };
}

/** Polls `read` until it returns `want` (the server looks at its desktop every 500 ms). */
async function eventually<T>(read: () => Promise<T>, want: T, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await read();
    if (JSON.stringify(last) === JSON.stringify(want)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(last, want, what);
}

describe("probes: /healthz and /readyz", () => {
  let s: Awaited<ReturnType<typeof gatedServer>>;
  before(async () => {
    s = await gatedServer();
  });
  after(() => s.close());

  it("while the first desktop starts: /healthz 200, /readyz 503 'starting', gRPC health NOT_SERVING; no token needed", async () => {
    const live = await s.get("/healthz");
    assert.deepEqual([live.status, live.body], [200, "ok"]);
    const ready = await s.get("/readyz");
    assert.deepEqual([ready.status, ready.body, ready.type], [503, "starting", "text/plain; charset=utf-8"]);
    assert.equal((await s.get("/readyz", true)).body, "starting: the desktop is starting", "the token adds the reason");
    assert.equal((await s.health.check({})).status, Status.NOT_SERVING);
  });

  it("once it is up: /readyz 200 and gRPC health SERVING", async () => {
    await s.release();
    await eventually(async () => (await s.get("/readyz")).status, 200, "ready once started");
    assert.equal((await s.get("/readyz")).body, "ready");
    await eventually(async () => (await s.health.check({})).status, Status.SERVING, "health follows");
  });

  it("a stalled desktop: 503 'stalled', then ready again when it answers", async () => {
    s.launched[0].stall.missed("Xvnc did not answer within 5000 ms (stalled)");
    const r = await s.get("/readyz", true);
    assert.deepEqual([r.status, r.body], [503, "stalled: Xvnc did not answer within 5000 ms (stalled)"]);
    await eventually(async () => (await s.health.check({})).status, Status.NOT_SERVING, "health NOT_SERVING while stalled");
    s.launched[0].stall.answered();
    assert.equal((await s.get("/readyz")).status, 200);
  });

  it("a desktop that died: 503 while it is replaced, without any call, then ready on the new one", async () => {
    s.launched[0].dead = "Xvnc exited";
    await eventually(
      async () => (await s.get("/readyz", true)).body,
      "replacing: replacing the desktop, which died: Xvnc exited",
      "replaced unasked",
    );
    assert.equal((await s.get("/readyz")).status, 503);
    await s.release();
    await eventually(async () => (await s.get("/readyz")).status, 200, "ready on the replacement");
    assert.equal(s.launched.length, 2);
    assert.equal(s.launched[1].calls.length, 0, "no call was made to the new desktop to get it started");
  });

  it("only GET and HEAD", async () => {
    const post = await fetch(`${s.server.url}/readyz`, { method: "POST" });
    assert.deepEqual([post.status, post.headers.get("allow")], [405, "GET, HEAD"]);
    const head = await fetch(`${s.server.url}/healthz`, { method: "HEAD" });
    assert.deepEqual([head.status, await head.text()], [200, ""]);
  });
});

describe("/metrics", () => {
  let s: Awaited<ReturnType<typeof gatedServer>>;
  before(async () => {
    s = await gatedServer();
    await s.release();
  });
  after(() => s.close());

  /** The value of one sample line (`name{labels}`), 0 when absent. */
  const sample = async (series: string) => {
    const text = (await s.get("/metrics", true)).body;
    const line = text.split("\n").find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  };

  it("needs the token: 401 with WWW-Authenticate without it", async () => {
    const r = await s.get("/metrics");
    assert.deepEqual([r.status, r.res.headers.get("www-authenticate")], [401, "Bearer"]);
    const ok = await s.get("/metrics", true);
    assert.equal(ok.status, 200);
    assert.match(ok.type ?? "", /^text\/plain; version=0.0.4/);
    assert.match(ok.body, /^# HELP grpc_server_handled_total /m);
    assert.match(ok.body, /^process_resident_memory_bytes \d+/m);
  });

  it("a call moves grpc_server_started/handled_total by method and code, and the latency histogram", async () => {
    const ok =
      'grpc_server_handled_total{grpc_type="unary",grpc_service="desktop.v1.DesktopService",grpc_method="GetDisplay",grpc_code="OK"}';
    const denied =
      'grpc_server_handled_total{grpc_type="unary",grpc_service="desktop.v1.DesktopService",grpc_method="GetDisplay",grpc_code="Unauthenticated"}';
    const timed = 'grpc_server_handling_seconds_count{grpc_type="unary",grpc_service="desktop.v1.DesktopService",grpc_method="GetDisplay"}';
    const before = [await sample(ok), await sample(denied), await sample(timed)];
    await s.client.getDisplay({});
    await s.client.getDisplay({});
    await assert.rejects(createDesktopClient({ baseUrl: s.server.url, token: "wrong-token-wrong-token" }).getDisplay({}));
    assert.deepEqual([await sample(ok), await sample(denied), await sample(timed)], [before[0] + 2, before[1] + 1, before[2] + 3]);
  });

  it("an Action records its phases; a stream counts as open while it runs", async () => {
    const input = 'desktopd_action_phase_seconds_count{phase="input"}';
    const encode = 'desktopd_action_phase_seconds_count{phase="encode"}';
    const before = [await sample(input), await sample(encode)];
    await s.client.action({ action: { case: "leftClick", value: { coordinate: { x: 5, y: 5 } } }, captureAfter: {} });
    assert.deepEqual([await sample(input), await sample(encode)], [before[0] + 1, before[1] + 1]);
    const ac = new AbortController();
    const stream = s.client.screenshot({ maxFps: 1, keepaliveMs: 1000 }, { signal: ac.signal })[Symbol.asyncIterator]();
    await stream.next();
    assert.equal(await sample('desktopd_open_streams{grpc_method="Screenshot"}'), 1);
    ac.abort();
    await stream.next().catch(() => undefined);
    await eventually(() => sample('desktopd_open_streams{grpc_method="Screenshot"}'), 0, "closed");
  });

  it("VNC relays count viewers and bytes both ways", async () => {
    const viewers = 'desktopd_vnc_viewers{path="rpc"}';
    const toDesktop = 'desktopd_vnc_relayed_bytes_total{path="rpc",direction="to_desktop"}';
    const before = await sample(toDesktop);
    const ac = new AbortController();
    let sent: () => void = () => undefined;
    const done = new Promise<void>((r) => {
      sent = r;
    });
    async function* requests() {
      yield { data: new Uint8Array(12) };
      sent();
      await new Promise((r) => ac.signal.addEventListener("abort", r));
    }
    const call = (async () => {
      for await (const _ of s.client.vnc(requests(), { signal: ac.signal }));
    })().catch(() => undefined);
    await done;
    await eventually(() => sample(toDesktop), before + 12, "12 bytes to the desktop");
    assert.equal(await sample(viewers), 1);
    ac.abort();
    await call;
    await eventually(() => sample(viewers), 0, "the viewer left");
  });

  it("desktop starts are counted and timed", async () => {
    assert.equal(await sample('desktopd_desktop_starts_total{kind="first",result="ok"}'), 1);
    assert.equal(await sample("desktopd_desktop_start_seconds_count"), 1);
    assert.equal(await sample("desktopd_desktop_ready"), 1);
  });
});

describe("--metrics-listen", () => {
  let s: Awaited<ReturnType<typeof gatedServer>>;
  before(async () => {
    s = await gatedServer({ metricsListen: { host: "127.0.0.1", port: 0 } });
    await s.release();
  });
  after(() => s.close());

  it("serves /metrics on its own port without the token, and the service port no longer does", async () => {
    const url = s.server.metricsUrl ?? assert.fail("no metricsUrl");
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const r = await fetch(url);
    assert.equal(r.status, 200);
    assert.match(await r.text(), /^grpc_server_started_total|^# HELP grpc_server_started_total/m);
    assert.equal((await s.get("/metrics", true)).status, 404);
    assert.equal((await fetch(url.replace("/metrics", "/readyz"))).status, 404, "only /metrics there");
  });
});
