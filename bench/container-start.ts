/**
 * `npm run bench:container`: how soon a container of the image answers its
 * first Action, measured from the `docker run` command (what a fleet's
 * scheduler waits for), hardened as test/helpers/container.ts runs it.
 * Each run: a new container on a new volume; reports the median and each
 * run's `docker run` return, first /healthz and first Action OK (ms), and
 * the container's memory once idle (docker stats). Then DENSITY_N
 * containers (4) held together, as on a node: the memory of each once idle
 * after one screenshot, and DENSITY_RESETS (5) in-place Resets each, timed
 * by the client.
 * Needs DESKTOPD_IMAGE (deploy/docker/build.sh) and a running dockerd.
 */
import { createDesktopClient } from "../src/client/client.js";
import { docker, runContainer, secretsDir, until } from "../test/helpers/container.js";

const RUNS = Number(process.env.RUNS ?? 5);
const N = Number(process.env.DENSITY_N ?? 4);
const RESETS = Number(process.env.DENSITY_RESETS ?? 5);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Polls every 10 ms: a start is measured to the poll that sees it. */
const poll = <T>(fn: () => Promise<T>) => until(fn, 60_000, 10);

// fetch's sockets do not keep the process alive while a container is still starting: this does.
const alive = setInterval(() => undefined, 60_000);
/** A container's memory as `docker stats` reports it (its cgroup's, page cache left out), and in MiB. */
async function memory(name: string): Promise<{ mem: string; rssMiB: number }> {
  const mem = (await docker(["stats", "--no-stream", "--format", "{{.MemUsage}}", name])).stdout.trim();
  return { mem, rssMiB: Number.parseFloat(mem) * (/GiB/.test(mem.split("/")[0]) ? 1024 : 1) };
}

const secrets = await secretsDir();
const held: { memMiB: number[]; resets: number[] } = { memMiB: [], resets: [] };
const rows: { run: number; health: number; action: number; rssMiB: number }[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const volume = `desktopd-bench-${process.pid}-${i}`;
    const t0 = performance.now();
    const c = await runContainer({ volume, secrets: secrets.dir });
    try {
      const health = await poll(async () => {
        const r = await fetch(`${c.url}/healthz`, { signal: AbortSignal.timeout(1000) });
        if (r.status !== 200) throw new Error(String(r.status));
        return performance.now() - t0;
      });
      const client = createDesktopClient({ baseUrl: c.url, token: secrets.token, protocol: "connect", httpVersion: "1.1" });
      const action = await poll(async () => {
        await client.action({ action: { case: "mouseMove", value: { coordinate: { x: 10 + i, y: 10 } } } }, { timeoutMs: 5000 });
        return performance.now() - t0;
      });
      await new Promise((r) => setTimeout(r, 2000));
      const { mem, rssMiB } = await memory(c.name);
      rows.push({ run: c.runMs, health, action, rssMiB });
      process.stderr.write(
        `run ${i + 1}: docker run returned ${c.runMs.toFixed(0)} ms, /healthz ${health.toFixed(0)} ms, first Action ${action.toFixed(0)} ms, memory ${mem}\n`,
      );
    } finally {
      await c.remove();
      await docker(["volume", "rm", "-f", volume], { reject: false });
    }
  }
  // N containers together, as on a node.
  const pool = await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const volume = `desktopd-bench-${process.pid}-held-${i}`;
      return { volume, c: await runContainer({ volume, secrets: secrets.dir }) };
    }),
  );
  try {
    const clients = pool.map(({ c }) =>
      createDesktopClient({ baseUrl: c.url, token: secrets.token, protocol: "connect", httpVersion: "1.1" }),
    );
    for (const client of clients) {
      await poll(() => client.action({ action: { case: "cursorPosition", value: {} } }, { timeoutMs: 5000 }));
      for await (const _ of client.screenshot({ maxFps: 0 }));
    }
    await new Promise((r) => setTimeout(r, 2000));
    for (const { c } of pool) held.memMiB.push((await memory(c.name)).rssMiB);
    for (const client of clients) {
      for (let i = 0; i < RESETS; i++) {
        const t0 = performance.now();
        await client.reset({});
        held.resets.push(performance.now() - t0);
      }
    }
  } finally {
    for (const { c, volume } of pool) {
      await c.remove();
      await docker(["volume", "rm", "-f", volume], { reject: false });
    }
  }
} finally {
  await secrets.remove();
  clearInterval(alive);
}
const m = (k: keyof (typeof rows)[number]) => median(rows.map((r) => r[k])).toFixed(0);
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];
console.log(
  `container start, median of ${rows.length}: docker run returned ${m("run")} ms, /healthz ${m("health")} ms, first Action OK ${m("action")} ms after docker run; idle memory ${m("rssMiB")} MiB`,
);
console.log(
  `${N} containers held together: memory each once idle after a screenshot, median ${median(held.memMiB).toFixed(0)} MiB (${held.memMiB.map((x) => x.toFixed(0)).join(", ")}); Reset in place p50 ${median(held.resets).toFixed(0)} ms, p95 ${p95(held.resets).toFixed(0)} ms over ${held.resets.length}`,
);
