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

/**
 * Of `pid`'s memory, bytes (smaps_rollup; zeros when it is gone): `pss`
 * (proportional: shared pages split among their users) and `uss` (unique:
 * private pages only, what one more process costs).
 */
export async function shares(pid: number): Promise<{ pss: number; uss: number }> {
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, "utf8").catch(() => "");
  const kB = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? 0) * 1024;
  return { pss: kB("Pss"), uss: kB("Private_Clean") + kB("Private_Dirty") };
}

/** Every process under `pid` (children, theirs, and so on), pid to command name. */
export async function descendants(pid: number): Promise<Map<number, string>> {
  const ps = await execa("ps", ["-e", "-o", "pid=,ppid=,comm="], { reject: false });
  const rows = ps.stdout
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .map(([p, pp, comm]) => ({ pid: Number(p), ppid: Number(pp), comm }));
  const out = new Map<number, string>();
  let level = [pid];
  while (level.length) {
    const next = rows.filter((r) => level.includes(r.ppid));
    for (const r of next) out.set(r.pid, r.comm);
    level = next.map((r) => r.pid);
  }
  return out;
}

/** The `q` quantile of `xs` (nearest rank). */
export function quantile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
