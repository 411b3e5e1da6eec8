/**
 * `npm run bench`: latency of the built-in backend over gRPC on loopback, side
 * by side with the spawn-per-action way (xdotool per action, ffmpeg x11grab per
 * screenshot) on the same desktop in the same run. The service runs in its own
 * process (bench/service.ts), as it does in production; every operation is
 * warmed up before it is timed, so p50/p95 are steady-state figures. Then
 * an agent's step and turn (bench/agent.ts, bench/agent-turn.ts: a batch of
 * 5 actions on a Firefox page against 5 Actions and OSWorld's sleeps), then
 * the Vnc relay's throughput on each path against the VNC server's own
 * socket (bench/vnc-relay.ts), and the RPC floor under this Node and Node 24
 * (bench/node-runtime.ts). Not a test: it prints.
 */
import { execa } from "execa";
import { ImageFormat } from "../gen/desktop/v1/desktop_pb.js";
import { createDesktopClient } from "../src/client/client.js";
import { TestWindows } from "../test/helpers/xwindow.js";
import { agentBench } from "./agent.js";
import { agentTurnBench } from "./agent-turn.js";
import { nodeRuntimeBench } from "./node-runtime.js";
import { startService } from "./start-service.js";
import { vncRelayBench } from "./vnc-relay.js";

// Runs per operation: ours are cheap enough for many; spawning is not.
const N = Number(process.env.BENCH_N ?? 200);
const SPAWN_N = Math.max(5, Math.round(N / 8));
const SHOT_N = Math.max(10, Math.round(N / 5));
const STREAM_RUNS = 3;

/**
 * p50/p95 of `n` timed runs after `warmup` untimed ones (by default as many as
 * timed: JIT, connection and caches warm, so the figures are steady state);
 * `prepare` runs untimed before each.
 */
async function timeIt(
  n: number,
  fn: (i: number) => Promise<unknown>,
  warmup = n,
  prepare?: (i: number) => Promise<unknown>,
): Promise<Stats> {
  for (let i = 0; i < warmup; i++) {
    await prepare?.(i);
    await fn(i);
  }
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    await prepare?.(i);
    const t0 = performance.now();
    await fn(i);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(n * 0.5)], p95: ms[Math.min(n - 1, Math.floor(n * 0.95))] };
}

const fmt = (v: number) => v.toFixed(v < 10 ? 2 : 1).padStart(8);

type Stats = { p50: number; p95: number };

async function main(): Promise<void> {
  const { service, ep, next } = await startService();
  const pd = await startService("portabledesktop");
  const p = createDesktopClient({ baseUrl: pd.ep.url, token: pd.ep.token });
  const cookie = Buffer.from(ep.cookie, "hex").toString("latin1");
  const env = { DISPLAY: ep.display, XAUTHORITY: ep.xauthority };
  const xdotool = (...args: string[]) => execa("xdotool", args, { env });
  const ffmpegShot = (scale?: string, codec = "png") =>
    // biome-ignore format: ffmpeg's arguments in reading order
    execa("ffmpeg", ["-loglevel", "error", "-f", "x11grab", "-video_size", "1920x1080", "-i", ep.display, "-frames:v", "1",
      ...(scale ? ["-vf", `scale=${scale}`] : []), "-c:v", codec, "-f", "image2pipe", "-"], { env, encoding: "buffer" });
  const c = createDesktopClient({ baseUrl: ep.url, token: ep.token });
  const text100 = "The quick brown fox jumps over the lazy dog 0123456789 ".repeat(2).slice(0, 100);
  type Client = typeof c;
  const shot = (size: { width: number; height: number } | undefined, format: ImageFormat) => async (cl: Client) => {
    for await (const _ of cl.screenshot({ scaledSize: size, format })) return;
  };
  const size720 = { width: 1280, height: 720 };
  // A 400x400 window repainted before a screenshot: the screen changed since the last one, as after an agent's action.
  const painter = await TestWindows.open(ep.display, cookie);
  const painted = await painter.window(0, 0, 400, 400, 0xff0000);
  const repaint = (i: number) => painter.recolor(painted, (i * 0x10305 + 0x40) & 0xffffff);
  // One row per operation: the RPC (run on both backends), its run count, and
  // the spawn-per-action equivalent.
  const ops: {
    name: string;
    rpc: (cl: Client, i: number) => Promise<unknown>;
    n: number;
    warm?: number;
    spawn?: (i: number) => Promise<unknown>;
    /** Untimed, before each run of all three. */
    prepare?: (i: number) => Promise<unknown>;
  }[] = [
    // The cost of an RPC that does no desktop work: what any action pays.
    { name: "RPC floor (GetDisplay)", rpc: (cl) => cl.getDisplay({}), n: N },
    {
      name: "left_click",
      rpc: (cl, i) => cl.action({ action: { case: "leftClick", value: { coordinate: { x: 100 + (i % 50), y: 100 } } } }),
      n: N,
      spawn: (i) => xdotool("mousemove", String(100 + (i % 50)), "100", "click", "1"),
    },
    {
      name: "mouse_move",
      rpc: (cl, i) => cl.action({ action: { case: "mouseMove", value: { coordinate: { x: i % 1000, y: 200 } } } }),
      n: N,
      spawn: (i) => xdotool("mousemove", String(i % 1000), "200"),
    },
    {
      name: "key",
      rpc: (cl) => cl.action({ action: { case: "key", value: { text: "shift" } } }),
      n: N,
      spawn: () => xdotool("key", "shift"),
    },
    {
      name: "type (100 chars)",
      rpc: (cl) => cl.action({ action: { case: "type", value: { text: text100 } } }),
      n: SHOT_N,
      warm: 5,
      spawn: () => xdotool("type", "--delay", "0", text100),
    },
    { name: "screenshot 1920x1080 PNG", rpc: shot(undefined, ImageFormat.PNG), n: SHOT_N, warm: 5, spawn: () => ffmpegShot() },
    { name: "screenshot 1280x720 PNG", rpc: shot(size720, ImageFormat.PNG), n: SHOT_N, warm: 5, spawn: () => ffmpegShot("1280:720") },
    {
      name: "screenshot 1280x720 JPEG",
      rpc: shot(size720, ImageFormat.JPEG),
      n: SHOT_N,
      warm: 5,
      spawn: () => ffmpegShot("1280:720", "mjpeg"),
    },
    {
      name: "1280x720 PNG, changed",
      rpc: shot(size720, ImageFormat.PNG),
      n: SHOT_N,
      warm: 5,
      spawn: () => ffmpegShot("1280:720"),
      prepare: repaint,
    },
    {
      name: "1280x720 JPEG, changed",
      rpc: shot(size720, ImageFormat.JPEG),
      n: SHOT_N,
      warm: 5,
      spawn: () => ffmpegShot("1280:720", "mjpeg"),
      prepare: repaint,
    },
  ];

  // A long-running service is warm: V8 reaches steady state on the RPC path
  // after about a thousand calls, and each timed operation warms up again.
  for (let i = 0; i < 1000; i++) await c.action({ action: { case: "cursorPosition", value: {} } });
  const rows: [string, Stats, Stats | undefined, Stats][] = [];
  for (const op of ops) {
    const ours = await timeIt(op.n, (i) => op.rpc(c, i), op.warm, op.prepare);
    const spawn = op.spawn ? await timeIt(SPAWN_N, op.spawn, 2, op.prepare) : undefined;
    const portable = await timeIt(SPAWN_N, (i) => op.rpc(p, i), 2);
    rows.push([op.name, ours, spawn, portable]);
  }
  pd.service.send("stop");
  await pd.service;
  painter.close();

  // Stream fps on a changing screen: a window changes colour every 10 ms.
  // A 1 s run warms up, then the median of STREAM_RUNS runs of 3 s.
  const w = await TestWindows.open(ep.display, cookie);
  const win = await w.window(0, 0, 400, 400, 0xff0000);
  let k = 0;
  const timer = setInterval(() => void w.recolor(win, (k++ * 0x10305) & 0xffffff), 10);
  const streamFps = async (ms: number) => {
    let frames = 0;
    const ac = new AbortController();
    const start = performance.now();
    try {
      for await (const _ of c.screenshot(
        { maxFps: 60, scaledSize: { width: 1280, height: 720 }, format: ImageFormat.JPEG },
        { signal: ac.signal },
      )) {
        frames++;
        if (performance.now() - start > ms) break;
      }
    } finally {
      ac.abort();
    }
    return frames / ((performance.now() - start) / 1000);
  };
  const fpsRuns: number[] = [];
  try {
    await streamFps(1000);
    for (let i = 0; i < STREAM_RUNS; i++) fpsRuns.push(await streamFps(3000));
  } finally {
    clearInterval(timer);
  }
  const fps = [...fpsRuns].sort((a, b) => a - b)[Math.floor(fpsRuns.length / 2)];
  w.close();
  const agent = await agentBench({
    client: c,
    display: ep.display,
    cookie,
    cpu: () => {
      service.send("cpu");
      return next<number>("cpu");
    },
    xdotoolClick: (x, y) => xdotool("mousemove", String(x), String(y), "click", "1"),
    ffmpegJpeg720: () => ffmpegShot("1280:720", "mjpeg"),
    timeIt,
  });
  const turn = await agentTurnBench({ client: c, display: ep.display, xauthority: ep.xauthority, timeIt });
  const relay = await vncRelayBench(ep, Number(process.env.BENCH_RELAY_ROUNDS ?? 5), 2000);
  service.send("memory");
  const mem = await next<{ rss: number; heapUsed: number }>("memory");
  service.send("stop");
  await service;
  const runtime = await nodeRuntimeBench(Number(process.env.BENCH_RUNTIME_ROUNDS ?? 5), 1000);

  console.log(`\ndesktopd bench: built-in backend over gRPC (h2c, loopback) vs spawn-per-action, and the`);
  console.log(`PortableDesktop backend (stand-in CLI: a process per command) through the same service, ms\n`);
  console.log(
    `${"operation".padEnd(26)}${"p50".padStart(8)}${"p95".padStart(8)} | ` +
      `${"spawn p50".padStart(9)}${"p95".padStart(8)} | ratio p50 | ${"pd p50".padStart(8)}${"p95".padStart(8)}`,
  );
  for (const [name, ours, theirs, portable] of rows) {
    const ratio = theirs ? `${(theirs.p50 / ours.p50).toFixed(1)}x` : "";
    const spawn = theirs ? `${fmt(theirs.p50)} ${fmt(theirs.p95)}` : `${"-".padStart(8)} ${"-".padStart(8)}`;
    console.log(
      `${name.padEnd(26)}${fmt(ours.p50)}${fmt(ours.p95)} | ${spawn} | ${ratio.padStart(9)} | ${fmt(portable.p50)}${fmt(portable.p95)}`,
    );
  }
  console.log(`\nstream, JPEG 1280x720, changing screen: ${fps.toFixed(1)} fps (median of ${fpsRuns.map((f) => f.toFixed(1)).join(", ")})`);
  console.log(`service process: rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB, heap ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB\n`);
  console.log(`${agent.join("\n")}\n`);
  console.log(`${turn.join("\n")}\n`);
  console.log(`${relay.join("\n")}\n`);
  console.log(`${runtime.join("\n")}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
