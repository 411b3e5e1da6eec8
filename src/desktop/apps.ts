/**
 * The programs one desktop session starts on its display, for both backends:
 * the window manager, the `--open` apps and LaunchApplication's. Each runs
 * in its own process group (argv, no shell; it dies with the service and
 * never sees DESKTOPD_*: src/os/process.ts), its group is noted in the
 * instance directory for a sweep after a crash, and all of them stop with
 * the session. What they are tells CloseWindow which processes it may kill
 * (`owns`): never one the desktop did not start.
 */
import { homedir } from "node:os";
import type { Logger } from "pino";
import type { InstanceDir } from "../os/instance-dir.js";
import { type DisplayProcess, findProgram, killGroup, spawnOnDisplay, startedBy } from "../os/process.js";
import { FailedPreconditionError, NotFoundError } from "./errors.js";

export interface DesktopAppsOptions {
  /** ":N". */
  display: string;
  /** Xauthority file of the display's cookie; none when the server takes none. */
  xauthority?: string;
  /** The environment programs start from (DISPLAY and XAUTHORITY set on top; DESKTOPD_* never passed). */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Where each program's process group is noted, for the sweep after a crash. */
  dir?: InstanceDir;
}

export class DesktopApps {
  private readonly started: DisplayProcess[] = [];
  private stopping = false;
  /** Programs being stopped on purpose (their exit is not news). */
  private readonly ending = new Set<DisplayProcess>();

  constructor(private readonly opts: DesktopAppsOptions) {}

  /**
   * Starts `argv` in `cwd` (the user's home by default) with `env` added, as
   * LaunchApplication asks: NotFoundError when argv[0] is no program;
   * FailedPreconditionError naming the errno when it cannot start.
   */
  async launch(argv: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ pid: number }> {
    if (!findProgram(argv[0], { ...this.opts.env, ...opts.env }.PATH)) throw new NotFoundError(`${argv[0]}: no such program`);
    const app = this.spawn(argv, opts);
    if (!app.pid) {
      const exit = await app.exited;
      if (exit.error === "ENOENT" && !findProgram(argv[0])) throw new NotFoundError(`${argv[0]}: no such program`);
      throw new FailedPreconditionError(`${argv[0]}: could not start (${exit.error ?? "unknown reason"})`);
    }
    return { pid: app.pid };
  }

  /** Starts `argv` with no checks (the window manager, `--open` apps); its exit is logged. */
  spawn(argv: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): DisplayProcess {
    const child = spawnOnDisplay(argv, {
      display: this.opts.display,
      xauthority: this.opts.xauthority,
      env: { ...this.opts.env, ...opts.env },
      cwd: opts.cwd ?? homedir(),
      logger: this.opts.logger,
      stopping: () => this.stopping || this.ending.size > 0,
    });
    this.started.push(child);
    void this.opts.dir?.recordGroup(child.pid).catch(() => undefined);
    return child;
  }

  /** Leaders of the process groups started (each program leads its own). */
  get groups(): number[] {
    return this.started.map((c) => c.pid).filter((p): p is number => p !== undefined);
  }

  /** Whether process `pid` is one of these programs or started by one (src/os/process.ts, startedBy). */
  owns(pid: number): boolean {
    return startedBy(pid, this.groups);
  }

  /** SIGTERM to every group, SIGKILL after `graceMs` to what is left (a shell under an xterm shares its group). */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    await this.end(this.started, graceMs);
  }

  /**
   * Stops every program but the one with pid `keep` (the window manager), as
   * `stop` does, and forgets them (CloseWindow may kill none of them
   * from then on); later programs start as usual. Resolves with how many
   * were stopped.
   */
  async stopAllBut(keep: number | undefined, graceMs: number): Promise<number> {
    const doomed = this.started.filter((c) => c.pid !== keep);
    for (const c of doomed) this.ending.add(c);
    await this.end(doomed, graceMs);
    this.started.splice(0, this.started.length, ...this.started.filter((c) => !doomed.includes(c)));
    for (const c of doomed) this.ending.delete(c);
    return doomed.length;
  }

  private async end(children: DisplayProcess[], graceMs: number): Promise<void> {
    const groups = children.map((c) => c.pid).filter((p): p is number => p !== undefined);
    for (const pid of groups) killGroup(pid, "SIGTERM");
    const killAll = () => {
      for (const pid of groups) killGroup(pid, "SIGKILL");
    };
    const timer = setTimeout(killAll, graceMs);
    await Promise.allSettled(children.map((c) => c.exited));
    clearTimeout(timer);
    killAll();
  }
}
