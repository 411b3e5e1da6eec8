/**
 * Traces, when a collector is named: one span per RPC reaches a real HTTP
 * endpoint speaking OTLP/HTTP JSON (a local stand-in for a collector), as a
 * child of the caller's traceparent, with the RPC semantic conventions'
 * attributes; a refused call's span says why; a stream's span ends when the
 * stream does; shutdown sends what is queued. A collector that is down
 * costs no call. The desktop's programs never see OTEL_* settings.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { createDesktopClient } from "../../src/client/client.js";
import { desktopEnv } from "../../src/os/process.js";
import { Recordings } from "../../src/recordings/recordings.js";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { startTracing } from "../../src/server/tracing/tracing.js";
import { generateToken } from "../../src/server/transport/auth.js";
import { FakeDesktop, fakeHost } from "../helpers/fake-desktop.js";
import { testLogger } from "../helpers/server.js";

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string; intValue?: number | string } }[];
  status?: { code?: number; message?: string };
}

/** A stand-in collector: what arrives at POST /v1/traces, as OTLP JSON. */
async function collector(): Promise<{ url: string; spans: OtlpSpan[]; paths: string[]; server: Server }> {
  const spans: OtlpSpan[] = [];
  const paths: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      paths.push(`${req.method} ${req.url} ${req.headers["content-type"]}`);
      const data = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
      for (const r of data.resourceSpans) for (const s of r.scopeSpans) spans.push(...s.spans);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, spans, paths, server };
}

const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v?.stringValue ?? (v?.intValue === undefined ? undefined : Number(v.intValue));
};

describe("traces to an OpenTelemetry collector (--otlp-endpoint)", () => {
  let otlp: Awaited<ReturnType<typeof collector>>;
  let server: RunningServer;
  let runtimeDir: string;
  const token = generateToken();
  before(async () => {
    otlp = await collector();
    runtimeDir = await mkdtemp(join(tmpdir(), "desktopd-tracing-"));
    const host = fakeHost(new FakeDesktop({ width: 640, height: 480 }));
    const logger = testLogger();
    const recordings = await Recordings.create({ host, logger, runtimeDir });
    const tracing = startTracing({ endpoint: `${otlp.url}/`, version: "0.0.0-test", scheduledDelayMs: 20 });
    server = await startServer({ port: 0, desktop: host, token, logger, recordings, tracing });
  });
  after(async () => {
    otlp.server.close();
    await rm(runtimeDir, { recursive: true, force: true });
  });

  it("a span per RPC, the caller's trace continued, refused and streamed calls included; shutdown sends them", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const parentId = "00f067aa0ba902b7";
    const traced = createDesktopClient({ baseUrl: server.url, token, headers: { traceparent: `00-${traceId}-${parentId}-01` } });
    await traced.getDisplay({});
    const refused = createDesktopClient({ baseUrl: server.url, token: "wrong", protocol: "connect" });
    await assert.rejects(refused.getDisplay({}), (e) => ConnectError.from(e).code === Code.Unauthenticated);
    const stream = traced.screenshot({ maxFps: 0 });
    for await (const _ of stream) break;
    await server.close();

    assert.ok(
      otlp.paths.every((p) => p === "POST /v1/traces application/json"),
      otlp.paths.join("\n"),
    );
    const byName = (name: string) => otlp.spans.filter((s) => s.name === `desktop.v1.DesktopService/${name}`);
    const [display] = byName("GetDisplay").filter((s) => s.traceId === traceId);
    assert.ok(display, JSON.stringify(otlp.spans.map((s) => s.name)));
    assert.deepEqual(
      [
        display.parentSpanId,
        display.kind,
        attr(display, "rpc.system"),
        attr(display, "rpc.service"),
        attr(display, "rpc.method"),
        attr(display, "rpc.grpc.status_code"),
      ],
      [parentId, 2, "grpc", "desktop.v1.DesktopService", "GetDisplay", 0],
    );
    const [denied] = byName("GetDisplay").filter((s) => s.traceId !== traceId);
    assert.deepEqual(
      [attr(denied, "rpc.system"), attr(denied, "rpc.grpc.status_code"), denied.status?.code],
      ["connect_rpc", Code.Unauthenticated, 2],
    );
    assert.match(denied.status?.message ?? "", /^Unauthenticated: /);
    const [shot] = byName("Screenshot");
    assert.equal(shot?.traceId, traceId, "the stream's span, ended when the client left");
  });

  it("the desktop's programs see neither DESKTOPD_* nor OTEL_* settings", () => {
    const env = desktopEnv({ PATH: "/usr/bin", OTEL_EXPORTER_OTLP_HEADERS: "authorization=secret", DESKTOPD_TOKEN: "t", HOME: "/h" });
    assert.deepEqual(env, { PATH: "/usr/bin", HOME: "/h" });
  });
});

describe("a collector that does not answer", () => {
  it("costs no call, and shutdown gives up on it within its bound", async () => {
    // A port that accepts and never answers: the exporter's request hangs.
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const runtimeDir = await mkdtemp(join(tmpdir(), "desktopd-tracing-"));
    try {
      const host = fakeHost(new FakeDesktop({ width: 640, height: 480 }));
      const logger = testLogger();
      const recordings = await Recordings.create({ host, logger, runtimeDir });
      const endpoint = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
      const tracing = {
        interceptor: startTracing({ endpoint, version: "0", scheduledDelayMs: 10 }).interceptor,
        shutdown: () => new Promise<void>(() => undefined),
      };
      const server = await startServer({ port: 0, desktop: host, token: "t".repeat(32), logger, recordings, tracing });
      const client = createDesktopClient({ baseUrl: server.url, token: "t".repeat(32) });
      for (let i = 0; i < 5; i++) await client.getDisplay({});
      const t0 = performance.now();
      await server.close();
      assert.ok(performance.now() - t0 < 10_000, "shutdown is bounded");
    } finally {
      silent.closeAllConnections();
      silent.close();
      await rm(runtimeDir, { recursive: true, force: true });
    }
  });
});
