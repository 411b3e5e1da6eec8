/** Waiting in specs, and process checks. */
import { readdirSync, readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import { alive as aliveNow } from "../../src/os/process.js";
import { sleep } from "../../src/os/sleep.js";

export { alive } from "../../src/os/process.js";

/** Polls `fn` every 100 ms until it returns a value (errors count as not yet); throws after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out");
    await sleep(100);
  }
}

/** Polls `cond` every 100 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting: ${what}`);
    await sleep(100);
  }
}

/**
 * Waits `ms` to prove that something does not happen (no input arrives, the
 * focus is not taken): no event can say "it will never come", so a spec
 * gives it this long.
 */
export const quietFor = (ms: number) => sleep(ms);

/** Lets a recording run for `ms` (the video must span some time). */
export const recordFor = (ms: number) => sleep(ms);

/** Pids of running processes whose command line or environment mentions `marker` (a runtime directory, say). */
export function processesMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (!aliveNow(Number(name))) continue;
      const text = readFileSync(`/proc/${name}/cmdline`, "latin1") + readFileSync(`/proc/${name}/environ`, "latin1");
      if (text.includes(marker)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** The environment of a running process, NAME=value entries; [] once it is gone. */
export function environOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * The first match of `pattern` in what a started process writes to stderr
 * (its banner: "serving on URL", "VNC on HOST:PORT"); rejects with all of its
 * stderr when `exited` settles first, or after `timeoutMs` (a banner that
 * changed must fail the spec, not hang it).
 */
export function stderrMatch(
  proc: { stderr: Readable | null },
  exited: PromiseLike<unknown>,
  pattern: RegExp,
  timeoutMs = 60_000,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let err = "";
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms: ${err}`)), timeoutMs);
    proc.stderr?.on("data", (b: Buffer) => {
      err += b.toString();
      const m = pattern.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    void Promise.resolve(exited).then(() => {
      clearTimeout(timer);
      reject(new Error(`exited before printing ${pattern}: ${err}`));
    });
  });
}
