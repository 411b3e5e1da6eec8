/**
 * The RPC floor by Node.js version: the same service (built-in backend) under
 * this machine's Node and under Node 24 LTS (the binary `.ci/run` installs in
 * `.ci/node24`, or BENCH_NODE24), in alternating rounds of the same run. The
 * figure is the service's CPU time per call (process.cpuUsage, ms): what a
 * busy desktop pays per RPC, less noisy than latency on a shared machine.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createDesktopClient } from "../src/client/client.js";
import { startService } from "./start-service.js";

const NODE24 = process.env.BENCH_NODE24 ?? fileURLToPath(new URL("../.ci/node24/node_modules/.bin/node", import.meta.url));

type Service = Awaited<ReturnType<typeof startService>>;
type Client = ReturnType<typeof createDesktopClient>;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Server CPU ms per call of `call`, `n` calls after as many to warm up. */
async function cpuPerCall(s: Service, n: number, call: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < n; i++) await call(i);
  s.service.send("cpu");
  const before = await s.next<number>("cpu");
  for (let i = 0; i < n; i++) await call(i);
  s.service.send("cpu");
  return ((await s.next<number>("cpu")) - before) / n;
}

/** Lines for the bench's report: medians of `rounds` rounds of `n` calls per operation and runtime. */
export async function nodeRuntimeBench(rounds: number, n: number): Promise<string[]> {
  if (!existsSync(NODE24))
    return [`RPC floor by Node.js version: skipped (no Node 24 at ${NODE24}; npm ci --prefix .ci/node24 installs it)`];
  const runtimes = [
    { name: `Node ${process.version}`, node: "node" },
    { name: "Node 24", node: NODE24 },
  ];
  const services = await Promise.all(runtimes.map((r) => startService(undefined, r.node)));
  const ops = [
    { name: "GetDisplay", call: (c: Client) => () => c.getDisplay({}) },
    {
      name: "mouse_move",
      call: (c: Client) => (i: number) =>
        c.action({ action: { case: "mouseMove", value: { coordinate: { x: 100 + (i % 800), y: 300 } } } }),
    },
  ];
  const samples = ops.map(() => runtimes.map(() => [] as number[]));
  try {
    const clients = services.map((s) => createDesktopClient({ baseUrl: s.ep.url, token: s.ep.token }));
    for (let round = 0; round < rounds; round++)
      for (const [o, op] of ops.entries())
        for (const [r, s] of services.entries()) samples[o][r].push(await cpuPerCall(s, n, op.call(clients[r])));
  } finally {
    for (const s of services) s.service.send("stop");
    await Promise.all(services.map((s) => s.service));
  }
  const lines = [`RPC floor by Node.js version: service CPU ms per call, medians of ${rounds} rounds of ${n} calls, same run`];
  lines.push(`${"operation".padEnd(12)}${runtimes.map((r) => r.name.padStart(16)).join("")}${"Node 24 / this".padStart(16)}`);
  for (const [o, op] of ops.entries()) {
    const [here, n24] = samples[o].map(median);
    lines.push(`${op.name.padEnd(12)}${[here, n24].map((v) => v.toFixed(3).padStart(16)).join("")}${(n24 / here).toFixed(2).padStart(16)}`);
  }
  return lines;
}
