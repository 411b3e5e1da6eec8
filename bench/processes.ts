/** Process facts the memory and density benches read from /proc and ps. */
import { readFile } from "node:fs/promises";
import { execa } from "execa";

/** Resident set size of `pid`, bytes (VmRSS); 0 when it is gone. */
export async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

/** The service's child processes by command name (Xvnc, openbox, xterm), via setpriv's exec. */
export async function children(pid: number): Promise<Map<string, number>> {
  const ps = await execa("ps", ["-o", "pid=,comm=", "--ppid", String(pid)], { reject: false });
  return new Map(
    ps.stdout
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => l.trim().split(/\s+/))
      .map(([p, comm]) => [comm, Number(p)]),
  );
}

/** The `q` quantile of `xs` (nearest rank). */
export function quantile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
