/**
 * `npm run bench`: latency of the built-in backend over gRPC on loopback, side
 * by side with the spawn-per-action way (xdotool per action, ffmpeg x11grab per
 * screenshot) on the same desktop in the same run. The service runs in its own
 * process (bench/service.ts), as it does in production; every operation is
 * warmed up before it is timed, so p50/p95 are steady-state figures. Not a
 * test: it prints.
 */
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { ImageFormat } from "../gen/desktop/v1/desktop_pb.js";
import { createDesktopClient } from "../src/client/client.js";
import { TestWindows } from "../test/helpers/xwindow.js";

interface Ready {
  url: string;
  token: string;
  display: string;
  cookie: string;
  xauthority: string;
}

// Runs per operation: ours are cheap enough for many; spawning is not.
const N = Number(process.env.BENCH_N ?? 200);
const SPAWN_N = Math.max(5, Math.round(N / 8));
const SHOT_N = Math.max(10, Math.round(N / 5));

/**
 * p50/p95 of `n` timed runs after `warmup` untimed ones (by default as many as
 * timed: JIT, connection and caches warm, so the figures are steady state).
 */
async function timeIt(n: number, fn: (i: number) => Promise<unknown>, warmup = n): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(n * 0.5)], p95: ms[Math.min(n - 1, Math.floor(n * 0.95))] };
}

const fmt = (v: number) => v.toFixed(v < 10 ? 2 : 1).padStart(8);

async function main(): Promise<void> {
  const service = execa("node", ["--import", "tsx", fileURLToPath(new URL("service.ts", import.meta.url))], { ipc: true, stdio: ["ignore", "inherit", "inherit"] });
  const next = <T>(key: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: any) => {
        if (m && key in m) {
          service.off("message", onMessage);
          resolve(m[key] as T);
        }
      };
      service.on("message", onMessage);
      service.catch(reject);
    });
  const ep = await next<Ready>("ready");
  const cookie = Buffer.from(ep.cookie, "hex").toString("latin1");
  const env = { DISPLAY: ep.display, XAUTHORITY: ep.xauthority };
  const xdotool = (...args: string[]) => execa("xdotool", args, { env });
  const ffmpegShot = (scale?: string, codec = "png") =>
    execa("ffmpeg", ["-loglevel", "error", "-f", "x11grab", "-video_size", "1920x1080", "-i", ep.display, "-frames:v", "1",
      ...(scale ? ["-vf", `scale=${scale}`] : []), "-c:v", codec, "-f", "image2pipe", "-"], { env, encoding: "buffer" });
  const rows: [string, { p50: number; p95: number }, { p50: number; p95: number } | undefined][] = [];
  const c = createDesktopClient({ baseUrl: ep.url, token: ep.token });
  const text100 = "The quick brown fox jumps over the lazy dog 0123456789 ".repeat(2).slice(0, 100);

  // A long-running service is warm: V8 reaches steady state on the RPC path
  // after about a thousand calls, and each timed operation warms up again.
  for (let i = 0; i < 1000; i++) await c.action({ action: { case: "cursorPosition", value: {} } });
  // The cost of an RPC that does no desktop work: what any action pays.
  rows.push(["RPC floor (GetDisplay)", await timeIt(N, () => c.getDisplay({})), undefined]);
  rows.push(["left_click", await timeIt(N, (i) => c.action({ action: { case: "leftClick", value: { coordinate: { x: 100 + (i % 50), y: 100 } } } })),
    await timeIt(SPAWN_N, (i) => xdotool("mousemove", String(100 + (i % 50)), "100", "click", "1"), 2)]);
  rows.push(["mouse_move", await timeIt(N, (i) => c.action({ action: { case: "mouseMove", value: { coordinate: { x: i % 1000, y: 200 } } } })),
    await timeIt(SPAWN_N, (i) => xdotool("mousemove", String(i % 1000), "200"), 2)]);
  rows.push(["key", await timeIt(N, () => c.action({ action: { case: "key", value: { text: "shift" } } })),
    await timeIt(SPAWN_N, () => xdotool("key", "shift"), 2)]);
  rows.push(["type (100 chars)", await timeIt(SHOT_N, () => c.action({ action: { case: "type", value: { text: text100 } } }), 5),
    await timeIt(SPAWN_N, () => xdotool("type", "--delay", "0", text100), 2)]);
  const shot = (size: { width: number; height: number } | undefined, format: ImageFormat) => async () => {
    for await (const _ of c.screenshot({ scaledSize: size, format })) return;
  };
  rows.push(["screenshot 1920x1080 PNG", await timeIt(SHOT_N, shot(undefined, ImageFormat.PNG), 5), await timeIt(SPAWN_N, () => ffmpegShot(), 2)]);
  rows.push(["screenshot 1280x720 PNG", await timeIt(SHOT_N, shot({ width: 1280, height: 720 }, ImageFormat.PNG), 5), await timeIt(SPAWN_N, () => ffmpegShot("1280:720"), 2)]);
  rows.push(["screenshot 1280x720 JPEG", await timeIt(SHOT_N, shot({ width: 1280, height: 720 }, ImageFormat.JPEG), 5), await timeIt(SPAWN_N, () => ffmpegShot("1280:720", "mjpeg"), 2)]);

  // Stream fps on a changing screen: a window changes colour every 10 ms.
  const w = await TestWindows.open(ep.display, cookie);
  const win = await w.window(0, 0, 400, 400, 0xff0000);
  let k = 0;
  const timer = setInterval(() => void w.recolor(win, (k++ * 0x10305) & 0xffffff), 10);
  let frames = 0;
  const ac = new AbortController();
  const start = performance.now();
  try {
    for await (const _ of c.screenshot({ maxFps: 60, scaledSize: { width: 1280, height: 720 }, format: ImageFormat.JPEG }, { signal: ac.signal })) {
      frames++;
      if (performance.now() - start > 3000) break;
    }
  } finally {
    ac.abort();
    clearInterval(timer);
  }
  const fps = frames / ((performance.now() - start) / 1000);
  w.close();
  service.send("memory");
  const mem = await next<{ rss: number; heapUsed: number }>("memory");
  service.send("stop");
  await service;

  console.log(`\ndesktopd bench: built-in backend over gRPC (h2c, loopback) vs spawn-per-action, ms\n`);
  console.log(`${"operation".padEnd(26)}${"p50".padStart(8)}${"p95".padStart(8)} | ${"spawn p50".padStart(9)}${"p95".padStart(8)} | ratio p50`);
  for (const [name, ours, theirs] of rows) {
    const ratio = theirs ? `${(theirs.p50 / ours.p50).toFixed(1)}x` : "";
    const spawn = theirs ? `${fmt(theirs.p50)} ${fmt(theirs.p95)}` : `${"-".padStart(8)} ${"-".padStart(8)}`;
    console.log(`${name.padEnd(26)}${fmt(ours.p50)}${fmt(ours.p95)} | ${spawn} | ${ratio.padStart(7)}`);
  }
  console.log(`\nstream, JPEG 1280x720, changing screen: ${fps.toFixed(1)} fps`);
  console.log(`service process: rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB, heap ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
