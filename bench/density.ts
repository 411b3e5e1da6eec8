/**
 * `npm run bench:density`: what one desktop costs, so how many fit on this
 * machine. Starts DENSITY_N desktops (default 4) one after another as users
 * run them in a warm pool (the built `desktopd serve` with a bootstrap
 * secret, built-in backend, `--open xterm`), each measured from spawn to
 * ready (cold start), then claimed and timed to its first Action OK;
 * once all run, one screenshot each, then the RSS of every desktop all in
 * (the service, Xvnc, openbox, xterm); then DENSITY_RESETS Resets per
 * desktop (default 5), timed by the client. Prints p50/p95 and how many idle
 * desktops fit in this machine's memory, beside what peers publish.
 * Not yet measured here: a busy desktop (a browser page each), and
 * containers (`npm run bench:container` has one container's start).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { createDesktopClient, type DesktopClient } from "../src/client/client.js";
import { stderrMatch } from "../test/helpers/process.js";
import { children, quantile, rss } from "./processes.js";

const N = Number(process.env.DENSITY_N ?? 4);
const RESETS = Number(process.env.DENSITY_RESETS ?? 5);
const MiB = 2 ** 20;
const root = fileURLToPath(new URL("..", import.meta.url));

interface Desktop {
  serve: ResultPromise;
  client: DesktopClient;
  home: string;
  /** Spawn to /readyz 200 (warm, unclaimed), ms. */
  coldMs: number;
  /** Claim of the warm desktop to its first Action OK, ms. */
  claimMs: number;
}

/** A warm desktop as a pool starts it (a bootstrap secret), then claimed as a task would. */
async function start(): Promise<Desktop> {
  const home = await mkdtemp(join(tmpdir(), "desktopd-density-"));
  const bootstrap = randomBytes(16).toString("hex");
  const t0 = performance.now();
  const serve = execa(join(root, "dist/src/cli/main.js"), ["serve", "--open", "xterm"], {
    env: {
      HOME: home,
      DESKTOPD_BOOTSTRAP_SECRET: bootstrap,
      DESKTOPD_LISTEN: "127.0.0.1:0",
      DESKTOPD_BACKEND: "builtin",
      DESKTOPD_LOG_LEVEL: "warn",
    },
    stderr: "pipe",
    stdout: "ignore",
    reject: false,
  });
  const [, url] = await stderrMatch(serve, serve, /serving on (http:\/\/\S+?), unclaimed/);
  while ((await fetch(`${url}/readyz`).catch(() => undefined))?.status !== 200) await new Promise((r) => setTimeout(r, 5));
  const coldMs = performance.now() - t0;
  const token = randomBytes(24).toString("hex");
  const t1 = performance.now();
  await createDesktopClient({ baseUrl: url, token: bootstrap }).claim({ token, label: "density" });
  const client = createDesktopClient({ baseUrl: url, token });
  await client.action({ action: { case: "cursorPosition", value: {} } });
  return { serve, client, home, coldMs, claimMs: performance.now() - t1 };
}

/** RSS of a desktop all in: the service and every process it started, MiB; and the service's alone. */
async function footprint(d: Desktop): Promise<{ all: number; service: number; parts: string }> {
  const pid = d.serve.pid!;
  const kids = await children(pid);
  const sizes = await Promise.all([pid, ...kids.values()].map(rss));
  const parts = [...kids.keys()].map((k, i) => `${k} ${(sizes[i + 1] / MiB).toFixed(0)}`).join(", ");
  return { all: sizes.reduce((a, b) => a + b, 0) / MiB, service: sizes[0] / MiB, parts };
}

const fmt = (xs: number[], unit: string) => `p50 ${quantile(xs, 0.5).toFixed(0)} ${unit}, p95 ${quantile(xs, 0.95).toFixed(0)} ${unit}`;

const desktops: Desktop[] = [];
try {
  for (let i = 0; i < N; i++) desktops.push(await start());
  for (const d of desktops) for await (const _ of d.client.screenshot({ maxFps: 0 }));
  await new Promise((r) => setTimeout(r, 2000));
  const idle = await Promise.all(desktops.map(footprint));
  const resets: number[] = [];
  for (const d of desktops) {
    for (let i = 0; i < RESETS; i++) {
      const t0 = performance.now();
      await d.client.reset({});
      resets.push(performance.now() - t0);
    }
  }
  const memTotal = Number(/^MemTotal:\s+(\d+) kB/m.exec(await readFile("/proc/meminfo", "utf8"))?.[1] ?? 0) / 1024;
  const perDesktop = quantile(
    idle.map((f) => f.all),
    0.5,
  );
  console.log(`\n${N} desktops (built-in, 1920x1080, --open xterm) on this machine (${(memTotal / 1024).toFixed(1)} GiB):\n`);
  const cold = desktops.map((d) => d.coldMs);
  const claims = desktops.map((d) => d.claimMs);
  console.log(`cold start, spawn to ready (/readyz 200): ${fmt(cold, "ms")}`);
  console.log(`claim of a warm desktop to its first Action OK (new connections): ${fmt(claims, "ms")}`);
  console.log(
    `RSS per desktop, idle after one screenshot: ${fmt(
      idle.map((f) => f.all),
      "MiB",
    )} all in; service ${fmt(
      idle.map((f) => f.service),
      "MiB",
    )}`,
  );
  console.log(`  one of them: service ${idle[0].service.toFixed(0)}, ${idle[0].parts} (MiB)`);
  console.log(`Reset (a new X server), client-observed over ${resets.length}: ${fmt(resets, "ms")}`);
  console.log(`idle desktops that fit in ${(memTotal / 1024).toFixed(1)} GiB at the p50: ${Math.floor(memTotal / perDesktop)}`);
  console.log(
    "published, for comparison: a Chrome GUI sandbox pod 200-250 MiB steady, about 120 pods per 8-vCPU/30 GB node (agent-sandbox examples/gke-swap)",
  );
} finally {
  for (const d of desktops) d.serve.kill("SIGTERM");
  await Promise.all(desktops.map((d) => d.serve));
  await Promise.all(desktops.map((d) => rm(d.home, { recursive: true, force: true })));
}
