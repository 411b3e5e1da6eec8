/**
 * What a desktopd instance leaves in its runtime directory, and what the next
 * instance does about it when the first one died without cleaning up (kill
 * -9, an OOM kill, a crash).
 *
 * An instance keeps its state in `<runtime dir>/<kind>-<pid>.<start>-XXXXXX/`
 * (0700; pid and start time: src/os/process.ts, processIdentity, so a pid
 * reused by a later process, or by a new container on the same volume, is
 * not taken for the instance)
 * and writes there what it started: process groups and pids (`leftovers`, one
 * "group N" or "pid N" per line) and a command that stops the rest
 * (`cleanup.json`, an argv, e.g. `portabledesktop down`). Processes the
 * instance started itself die with it (src/os/process.ts,
 * diesWithService); the record covers the rest, such as a portabledesktop
 * session, which outlives the command that started it.
 *
 * `sweepDeadInstances` runs at start: for each directory whose process no
 * longer runs, it runs the cleanup command, kills the recorded processes that still
 * mention the directory (in their command line or environment, so a reused
 * pid is never touched), and removes the directory.
 */
import { readFileSync } from "node:fs";
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import type { Logger } from "pino";
import { alive, identityAlive, killGroup, SELF, signalProcess } from "./process.js";

const NAME = /^([a-z]+)-(\d+(?:\.\d+)?)-/;
/** Time the cleanup command gets, ms. */
const CLEANUP_TIMEOUT_MS = 10_000;

export class InstanceDir {
  private constructor(readonly path: string) {}

  /** A new `<parent>/<kind>-<this pid>.<start>-XXXXXX` (0700). */
  static async create(parent: string, kind: string): Promise<InstanceDir> {
    await mkdir(parent, { recursive: true, mode: 0o700 });
    return new InstanceDir(await mkdtemp(join(parent, `${kind}-${SELF}-`)));
  }

  /** Records a process group (led by `pgid`) to kill if this instance dies. */
  async recordGroup(pgid: number | undefined): Promise<void> {
    if (pgid) await appendFile(join(this.path, "leftovers"), `group ${pgid}\n`, { mode: 0o600 });
  }

  /** Records a single process to kill if this instance dies. */
  async recordPid(pid: number | undefined): Promise<void> {
    if (pid) await appendFile(join(this.path, "leftovers"), `pid ${pid}\n`, { mode: 0o600 });
  }

  /** The command (argv, no shell) that stops what this instance started, run first by the sweep. */
  async recordCleanup(argv: string[], env: Record<string, string> = {}): Promise<void> {
    await writeFile(join(this.path, "cleanup.json"), JSON.stringify({ argv, env }), { mode: 0o600 });
  }

  /** Removes the directory and everything in it. */
  async remove(): Promise<void> {
    await rm(this.path, { recursive: true, force: true });
  }
}

/** Stops and deletes what dead instances left in `runtimeDir` (see the module comment). */
export async function sweepDeadInstances(runtimeDir: string, logger: Logger): Promise<void> {
  const names = await readdir(runtimeDir).catch(() => []);
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m || m[2] === SELF || identityAlive(m[2])) continue;
    const dir = join(runtimeDir, name);
    const cleanup = await readFile(join(dir, "cleanup.json"), "utf8").then(JSON.parse, () => undefined);
    if (cleanup?.argv?.length) {
      const r = await execa(cleanup.argv[0], cleanup.argv.slice(1), {
        reject: false,
        timeout: CLEANUP_TIMEOUT_MS,
        env: cleanup.env,
        stdin: "ignore",
      });
      logger.info({ dir: name, cleanup: cleanup.argv.join(" "), exitCode: r.exitCode }, "ran the cleanup of a dead instance");
    }
    const lines = await readFile(join(dir, "leftovers"), "utf8").then(
      (s) => s.split("\n"),
      () => [],
    );
    let killed = 0;
    for (const line of lines) {
      const [kind, n] = line.split(" ");
      const id = Number(n);
      if (!id || !mentions(id, dir)) continue;
      if (kind === "group" ? killGroup(id, "SIGKILL") : signalProcess(id, "SIGKILL")) killed++;
    }
    await rm(dir, { recursive: true, force: true });
    logger.warn({ dir: name, pid: Number(m[2].split(".")[0]), killed }, "removed what a desktopd that is gone left behind");
  }
}

/** Whether process `pid` runs and mentions `dir` in its command line or environment. */
function mentions(pid: number, dir: string): boolean {
  if (!alive(pid)) return false;
  for (const file of ["cmdline", "environ"]) {
    try {
      if (readFileSync(`/proc/${pid}/${file}`).includes(dir)) return true;
    } catch {
      // gone, or not ours to read
    }
  }
  return false;
}
