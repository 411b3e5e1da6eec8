/**
 * The container contract: the image run hardened, as a fleet runs it, and
 * driven only over its published port. GetDisplay; a click and typed text
 * reaching xterm (which writes what it gets to a file the spec downloads);
 * a Screenshot; an RFB handshake over the Vnc RPC and over the /vnc
 * WebSocket; MCP initialize; /healthz, /readyz, gRPC health and Docker's
 * HEALTHCHECK; /metrics moving with a call. `docker stop -t 2` ends it
 * cleanly (exit 0, not killed); a second container on the same volume
 * finds the file and starts, after a clean stop and after SIGKILL.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import sharp from "sharp";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/health/v1/health_pb.js";
import { createDesktopClient, type DesktopClient } from "../../src/client/client.js";
import { type Container, docker, runContainer, secretsDir, skipReason, until } from "../helpers/container.js";
import { RfbClient } from "../helpers/rfb.js";

const TYPED = "typed in a container\n";

describe("the desktopd image, run hardened", { skip: skipReason }, () => {
  const volume = `desktopd-spec-${process.pid}`;
  let secrets: Awaited<ReturnType<typeof secretsDir>>;
  let c: Container;
  let client: DesktopClient;
  before(async () => {
    secrets = await secretsDir();
    c = await runContainer({ volume, secrets: secrets.dir });
    client = createDesktopClient({ baseUrl: c.url, token: secrets.token });
    await until(() => client.getDisplay({}), 60_000);
  });
  after(async () => {
    await c?.remove();
    await docker(["volume", "rm", "-f", volume], { reject: false });
    await secrets?.remove();
  });

  it("runs as uid 65534 with no capabilities, on a read-only root", async () => {
    const inspect = JSON.parse((await docker(["inspect", c.name])).stdout)[0];
    assert.deepEqual(
      [inspect.HostConfig.ReadonlyRootfs, inspect.Config.User, inspect.HostConfig.CapDrop, inspect.HostConfig.SecurityOpt],
      [true, "65534", ["ALL"], ["no-new-privileges"]],
    );
    const top = (await docker(["top", c.name, "-o", "pid,uid,args"])).stdout;
    const rows = top
      .trim()
      .split("\n")
      .slice(1)
      .map((r) => r.trim().split(/\s+/));
    const runs = (cmd: RegExp) => rows.some((r) => cmd.test(r.slice(2).join(" ")));
    assert.deepEqual(
      [/^\/usr\/bin\/tini /, /\bnode\b.*desktopd serve/, /^\S*Xvnc /, /\bopenbox\b/].map(runs),
      [true, true, true, true],
      top,
    );
    assert.ok(
      rows.every((r) => r[1] === "65534"),
      `every process runs as 65534:\n${top}`,
    );
    const status = (await docker(["exec", c.name, "sh", "-c", "grep -h -E '^(CapEff|NoNewPrivs):' /proc/[0-9]*/status | sort -u"])).stdout;
    assert.deepEqual(status.trim().split("\n"), ["CapEff:\t0000000000000000", "NoNewPrivs:\t1"], status);
  });

  it("GetDisplay: the built-in desktop at 1920x1080", async () => {
    const d = await client.getDisplay({});
    assert.deepEqual([d.nativeSize?.width, d.nativeSize?.height, d.backend], [1920, 1080, "builtin"]);
  });

  it("a click and typed text reach xterm, which writes them to a file on the volume", async () => {
    const { pid } = await client.launchApplication({ argv: ["xterm", "-geometry", "60x10+200+200", "-e", "sh", "-c", "cat > typed.txt"] });
    const win = await until(async () => {
      const w = (await client.listWindows({})).windows.find((x) => x.pid === pid);
      if (!w?.geometry) throw new Error("no xterm window yet");
      return w;
    }, 30_000);
    const g = win.geometry!;
    await client.action({
      action: { case: "leftClick", value: { coordinate: { x: Math.round(g.x + g.width / 2), y: Math.round(g.y + g.height / 2) } } },
    });
    await client.action({ action: { case: "type", value: { text: TYPED } } });
    await client.action({ action: { case: "key", value: { text: "ctrl+d" } } });
    const text = await until(async () => {
      let got = "";
      for await (const m of client.downloadFile({ path: "typed.txt" })) if (m.part.case === "chunk") got += Buffer.from(m.part.value);
      if (got !== TYPED) throw new Error(`typed.txt holds ${JSON.stringify(got)}`);
      return got;
    }, 15_000);
    assert.equal(text, TYPED);
  });

  it("a Screenshot: a 1920x1080 PNG", async () => {
    for await (const f of client.screenshot({ maxFps: 0 })) {
      const meta = await sharp(f.image?.data).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ["png", 1920, 1080]);
    }
  });

  it("VNC: an RFB handshake over the Vnc RPC and over the /vnc WebSocket", async () => {
    const ac = new AbortController();
    const overRpc = RfbClient.overVnc(client, ac.signal);
    const viaRpc = await overRpc.handshake();
    assert.deepEqual([viaRpc.width, viaRpc.height], [1920, 1080]);
    ac.abort();
    const ws = await RfbClient.overWebSocket(`${c.url.replace("http:", "ws:")}/vnc?token=${secrets.token}`);
    const init = await ws.handshake();
    assert.deepEqual([init.width, init.height], [1920, 1080]);
    ws.end();
  });

  it("MCP: initialize answers as desktopd", async () => {
    const res = await fetch(`${c.url}/mcp`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${secrets.token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "container-spec", version: "1" } },
      }),
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { result: { serverInfo: { name: string } } }).result.serverInfo.name, "desktopd");
  });

  it("health: /healthz and /readyz 200 without a token, gRPC health SERVING, Docker's HEALTHCHECK healthy", async () => {
    assert.equal((await fetch(`${c.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${c.url}/readyz`)).status, 200);
    const health = createClient(Health, createConnectTransport({ baseUrl: c.url, httpVersion: "1.1" }));
    assert.equal((await health.check({})).status, Status.SERVING);
    await until(async () => {
      const s = (await docker(["inspect", "-f", "{{.State.Health.Status}}", c.name])).stdout.trim();
      if (s !== "healthy") throw new Error(`health ${s}`);
    }, 60_000);
  });

  it("/metrics: behind the token, and a call moves it", async () => {
    assert.equal((await fetch(`${c.url}/metrics`)).status, 401);
    const series =
      'grpc_server_handled_total{grpc_type="unary",grpc_service="desktop.v1.DesktopService",grpc_method="GetDisplay",grpc_code="OK"}';
    const read = async () => {
      const text = await (await fetch(`${c.url}/metrics`, { headers: { authorization: `Bearer ${secrets.token}` } })).text();
      return Number(
        text
          .split("\n")
          .find((l) => l.startsWith(`${series} `))
          ?.split(" ")[1] ?? 0,
      );
    };
    const before = await read();
    await client.getDisplay({});
    assert.equal(await read(), before + 1);
  });

  it("docker stop -t 2: a clean shutdown (exit 0, not killed), logged as stopped, and no token in the log", async () => {
    const { ms, exitCode } = await c.stop(2);
    const logs = await c.logs();
    assert.equal(exitCode, 0, `exit ${exitCode} after ${Math.round(ms)} ms (137: killed after the 2 s grace)\n${logs.slice(-2000)}`);
    assert.match(logs, /"msg":"stopped"/);
    assert.ok(!logs.includes(secrets.token), "the token is not in the container's log");
  });

  it("a second container on the same volume starts and finds the file; so does a third after SIGKILL", async () => {
    const second = await runContainer({ volume, secrets: secrets.dir });
    try {
      const c2 = createDesktopClient({ baseUrl: second.url, token: secrets.token });
      await until(() => c2.getDisplay({}), 60_000);
      let got = "";
      for await (const m of c2.downloadFile({ path: "typed.txt" })) if (m.part.case === "chunk") got += Buffer.from(m.part.value);
      assert.equal(got, TYPED);
      await docker(["kill", "--signal", "KILL", second.name]);
    } finally {
      await second.remove();
    }
    const third = await runContainer({ volume, secrets: secrets.dir });
    try {
      const c3 = createDesktopClient({ baseUrl: third.url, token: secrets.token });
      const d = await until(() => c3.getDisplay({}), 60_000);
      assert.equal(d.backend, "builtin");
      await c3.action({ action: { case: "mouseMove", value: { coordinate: { x: 10, y: 10 } } } });
    } finally {
      await third.remove();
    }
  });
});
