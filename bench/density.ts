/**
 * `npm run bench:density`: what one desktop costs, so how many fit on this
 * machine. Starts DENSITY_N desktops (default 4) one after another as users
 * run them in a warm pool (the built `desktopd serve` with a bootstrap
 * secret, built-in backend, `--open xterm`, DENSITY_GEOMETRY or 1920x1080),
 * each measured from spawn to ready (cold start), then claimed (over the pool's open connection) and
 * timed to its first Action OK (over the task's new connection). Once all
 * run: one screenshot each, then the memory of every desktop all in (the
 * service and every process under it: RSS summed; PSS, which splits shared
 * pages among their users; USS, the private pages one more desktop adds)
 * idle, then busy with one Firefox ESR page each (DENSITY_BUSY=0 skips it); then DENSITY_RESETS Resets per desktop
 * (default 5) in place and as many with a new X server, timed by the
 * client. Prints p50/p95 and how many idle desktops fit in this machine's
 * memory, beside what peers publish. Containers: `npm run bench:container`.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { createDesktopClient, type DesktopClient } from "../src/client/client.js";
import { firefoxProfile } from "../test/helpers/firefox.js";
import { stderrMatch } from "../test/helpers/process.js";
import { descendants, quantile, rss, shares } from "./processes.js";

const N = Number(process.env.DENSITY_N ?? 4);
const RESETS = Number(process.env.DENSITY_RESETS ?? 5);
const BUSY = process.env.DENSITY_BUSY !== "0";
/** The desktops' native size, WxH. */
const GEOMETRY = process.env.DENSITY_GEOMETRY ?? "1920x1080";
const MiB = 2 ** 20;
const root = fileURLToPath(new URL("..", import.meta.url));

interface Desktop {
  serve: ResultPromise;
  client: DesktopClient;
  home: string;
  /** Spawn to /readyz 200 (warm, unclaimed), ms. */
  coldMs: number;
  /** The Claim call over the pool's open connection, ms. */
  claimMs: number;
  /** Then the task's first Action OK over a new connection, ms. */
  firstActionMs: number;
}

/** A warm desktop as a pool starts it (a bootstrap secret), then claimed as a task would. */
async function start(): Promise<Desktop> {
  const home = await mkdtemp(join(tmpdir(), "desktopd-density-"));
  const bootstrap = randomBytes(16).toString("hex");
  const t0 = performance.now();
  const serve = execa(join(root, "dist/src/cli/main.js"), ["serve", "--open", "xterm", "--geometry", GEOMETRY], {
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
  // The pool's connection is open before the claim (a refused call opens it).
  const pool = createDesktopClient({ baseUrl: url, token: bootstrap });
  await pool.getDisplay({}).catch(() => undefined);
  const token = randomBytes(24).toString("hex");
  const t1 = performance.now();
  await pool.claim({ token, label: "density" });
  const t2 = performance.now();
  const client = createDesktopClient({ baseUrl: url, token });
  await client.action({ action: { case: "cursorPosition", value: {} } });
  return { serve, client, home, coldMs, claimMs: t2 - t1, firstActionMs: performance.now() - t2 };
}

/**
 * Memory of a desktop all in (the service and every process under it), MiB:
 * RSS, PSS and USS summed; the service's RSS and USS; and RSS by part.
 */
async function footprint(
  d: Desktop,
): Promise<{ all: number; pss: number; uss: number; service: number; serviceUss: number; parts: string }> {
  const pid = d.serve.pid as number;
  const tree = [[pid, "service"] as const, ...(await descendants(pid))];
  const [sizes, split] = await Promise.all([Promise.all(tree.map(([p]) => rss(p))), Promise.all(tree.map(([p]) => shares(p)))]);
  const byName = new Map<string, number>();
  for (const [i, [, comm]] of tree.entries()) byName.set(comm, (byName.get(comm) ?? 0) + sizes[i]);
  const parts = [...byName].map(([k, v]) => `${k} ${(v / MiB).toFixed(0)}`).join(", ");
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / MiB;
  return {
    all: sum(sizes),
    pss: sum(split.map((x) => x.pss)),
    uss: sum(split.map((x) => x.uss)),
    service: sizes[0] / MiB,
    serviceUss: split[0].uss / MiB,
    parts,
  };
}

/** A page for the busy pass: text, a table and an animation, like a web app at rest. */
function pageServer(): Promise<{ url: string; ready: Map<string, () => void>; close(): void }> {
  const ready = new Map<string, () => void>();
  const rows = Array.from({ length: 200 }, (_, i) => `<tr><td>${i}</td><td>row ${i} of a table</td><td>${(i * 37) % 101}</td></tr>`).join(
    "",
  );
  const page = (id: string) => `<!doctype html><html><head><meta charset="utf-8"><title>busy</title></head><body>
<h1>A page at rest</h1><canvas id="c" width="300" height="100"></canvas><p>${"Lorem ipsum dolor sit amet. ".repeat(200)}</p><table>${rows}</table>
<script>const c = document.getElementById("c").getContext("2d"); let t = 0;
setInterval(() => { c.clearRect(0, 0, 300, 100); c.fillRect((t++ * 5) % 300, 40, 20, 20); }, 100);
addEventListener("load", () => fetch("/ready?id=${id}", { method: "POST" }));</script></body></html>`;
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    if (u.pathname === "/ready") ready.get(u.searchParams.get("id") ?? "")?.();
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(u.pathname === "/ready" ? "" : page(u.searchParams.get("id") ?? ""));
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}/`, ready, close: () => server.close() });
    }),
  );
}

/** Opens the page in Firefox ESR (kiosk, new profile) on every desktop, one after another, each until it loaded. */
async function busy(all: Desktop[]): Promise<string[]> {
  const pages = await pageServer();
  const profiles: string[] = [];
  try {
    for (const [i, d] of all.entries()) {
      const profile = await firefoxProfile();
      profiles.push(profile);
      const loaded = new Promise<void>((r) => pages.ready.set(String(i), r));
      await d.client.launchApplication({
        argv: ["firefox-esr", "--kiosk", "--no-remote", "--new-instance", "--profile", profile, `${pages.url}?id=${i}`],
        env: { MOZ_CRASHREPORTER_DISABLE: "1" },
      });
      await Promise.race([
        loaded,
        new Promise((_, reject) => setTimeout(() => reject(new Error("Firefox did not load the page in 60 s")), 60_000)),
      ]);
    }
    return profiles;
  } finally {
    pages.close();
  }
}

async function resets(all: Desktop[], newXServer: boolean): Promise<number[]> {
  const out: number[] = [];
  for (const d of all) {
    for (let i = 0; i < RESETS; i++) {
      const t0 = performance.now();
      const r = await d.client.reset({ newXServer });
      out.push(performance.now() - t0);
      if (r.newXServer !== newXServer)
        throw new Error(`a Reset ${newXServer ? "with" : "without"} a new X server went the other way: ${r.why}`);
    }
  }
  return out;
}

const fmt = (xs: number[], unit: string) => `p50 ${quantile(xs, 0.5).toFixed(0)} ${unit}, p95 ${quantile(xs, 0.95).toFixed(0)} ${unit}`;

const desktops: Desktop[] = [];
let profiles: string[] = [];
try {
  for (let i = 0; i < N; i++) desktops.push(await start());
  for (const d of desktops) for await (const _ of d.client.screenshot({ maxFps: 0 }));
  await new Promise((r) => setTimeout(r, 2000));
  const idle = await Promise.all(desktops.map(footprint));
  let loaded: Awaited<ReturnType<typeof footprint>>[] | undefined;
  if (BUSY) {
    profiles = await busy(desktops);
    await new Promise((r) => setTimeout(r, 3000));
    loaded = await Promise.all(desktops.map(footprint));
  }
  const inPlace = await resets(desktops, false);
  const newServer = await resets(desktops, true);
  const memTotal = Number(/^MemTotal:\s+(\d+) kB/m.exec(await readFile("/proc/meminfo", "utf8"))?.[1] ?? 0) / 1024;
  const perDesktop = quantile(
    idle.map((f) => f.all),
    0.5,
  );
  console.log(`\n${N} desktops (built-in, ${GEOMETRY}, --open xterm) on this machine (${(memTotal / 1024).toFixed(1)} GiB):\n`);
  console.log(
    `cold start, spawn to ready (/readyz 200): ${fmt(
      desktops.map((d) => d.coldMs),
      "ms",
    )}`,
  );
  console.log(
    `claim of a warm desktop: Claim ${fmt(
      desktops.map((d) => d.claimMs),
      "ms",
    )}; then the first Action OK on a new connection ${fmt(
      desktops.map((d) => d.firstActionMs),
      "ms",
    )}; together ${fmt(
      desktops.map((d) => d.claimMs + d.firstActionMs),
      "ms",
    )}`,
  );
  type Footprint = Awaited<ReturnType<typeof footprint>>;
  const memory = (what: string, fs: Footprint[]) => {
    const of = (key: keyof Omit<Footprint, "parts">) =>
      fmt(
        fs.map((f) => f[key]),
        "MiB",
      );
    console.log(
      `${what}: all in RSS ${of("all")}, PSS ${of("pss")}, USS ${of("uss")}; the service RSS ${of("service")}, USS ${of("serviceUss")}`,
    );
    console.log(`  one of them (RSS, MiB): ${fs[0].parts}`);
  };
  memory("memory per desktop, idle after one screenshot", idle);
  if (loaded) memory("memory per desktop, busy (one Firefox ESR page)", loaded);
  console.log(`Reset in place, client-observed over ${inPlace.length}: ${fmt(inPlace, "ms")}`);
  console.log(`Reset with a new X server, client-observed over ${newServer.length}: ${fmt(newServer, "ms")}`);
  const perDesktopPss = quantile(
    idle.map((f) => f.pss),
    0.5,
  );
  console.log(
    `idle desktops that fit in ${(memTotal / 1024).toFixed(1)} GiB: ${Math.floor(memTotal / perDesktop)} at the p50 RSS (nothing shared), ${Math.floor(memTotal / perDesktopPss)} at the p50 PSS (binaries and libraries shared, as on one node)`,
  );
  console.log(
    "published, for comparison: a Chrome GUI sandbox pod 200-250 MiB steady, about 120 pods per 8-vCPU/30 GB node (agent-sandbox examples/gke-swap)",
  );
} finally {
  for (const d of desktops) d.serve.kill("SIGTERM");
  await Promise.all(desktops.map((d) => d.serve));
  await Promise.all([...desktops.map((d) => d.home), ...profiles].map((p) => rm(p, { recursive: true, force: true })));
}
