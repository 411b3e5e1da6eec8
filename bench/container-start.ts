/**
 * `npm run bench:container`: how soon a container of the image answers its
 * first Action, measured from the `docker run` command (what a fleet's
 * scheduler waits for), hardened as test/helpers/container.ts runs it.
 * Each run: a new container on a new volume; reports the median and each
 * run's `docker run` return, first /healthz and first Action OK (ms), and
 * the container's memory once idle (docker stats).
 * Needs DESKTOPD_IMAGE (deploy/docker/build.sh) and a running dockerd.
 */
import { createDesktopClient } from "../src/client/client.js";
import { docker, runContainer, secretsDir, until } from "../test/helpers/container.js";

const RUNS = Number(process.env.RUNS ?? 5);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Polls every 10 ms: a start is measured to the poll that sees it. */
const poll = <T>(fn: () => Promise<T>) => until(fn, 60_000, 10);

// fetch's sockets do not keep the process alive while a container is still starting: this does.
const alive = setInterval(() => undefined, 60_000);
const secrets = await secretsDir();
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
      const mem = (await docker(["stats", "--no-stream", "--format", "{{.MemUsage}}", c.name])).stdout.trim();
      const rssMiB = Number.parseFloat(mem) * (/GiB/.test(mem.split("/")[0]) ? 1024 : 1);
      rows.push({ run: c.runMs, health, action, rssMiB });
      process.stderr.write(
        `run ${i + 1}: docker run returned ${c.runMs.toFixed(0)} ms, /healthz ${health.toFixed(0)} ms, first Action ${action.toFixed(0)} ms, memory ${mem}\n`,
      );
    } finally {
      await c.remove();
      await docker(["volume", "rm", "-f", volume], { reject: false });
    }
  }
} finally {
  await secrets.remove();
  clearInterval(alive);
}
const m = (k: keyof (typeof rows)[number]) => median(rows.map((r) => r[k])).toFixed(0);
console.log(
  `container start, median of ${rows.length}: docker run returned ${m("run")} ms, /healthz ${m("health")} ms, first Action OK ${m("action")} ms after docker run; idle memory ${m("rssMiB")} MiB`,
);
