/**
 * Processes, for every part of the service: liveness and ancestry from /proc,
 * signals to a process or to its whole group, programs started on an X
 * display in their own process group, dying with the service. Programs get
 * argument arrays, never a shell string.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { execa } from "execa";
import type { Logger } from "pino";

/**
 * Whether `pid` runs. Desktop processes are often not our children, and a
 * zombie still answers kill(0) until its parent reaps it (not every PID 1
 * does), so /proc's state field decides: Z and X are dead.
 */
export const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return !/^\d+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return false;
  }
};

/** Fields of /proc/<pid>/stat after the command name (proc(5): field 3, the state, first). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // The command name is in parentheses and may hold anything: the fields start after the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/**
 * Who a process is, beyond its pid: "<pid>.<start time>" (clock ticks after
 * boot, proc(5) field 22). A pid is reused, by a later process or by a
 * process of a new container (its own pid namespace, same numbers); the pair
 * is not. Undefined once the process is gone.
 */
export function processIdentity(pid: number): string | undefined {
  const start = statFields(pid)?.[19];
  return start === undefined ? undefined : `${pid}.${start}`;
}

/** This process's identity (processIdentity). */
export const SELF = processIdentity(process.pid) ?? String(process.pid);

/** Whether the process `identity` ("<pid>.<start>", or a bare pid from an older desktopd) names still runs. */
export function identityAlive(identity: string): boolean {
  const pid = Number(identity.split(".")[0]);
  if (!alive(pid)) return false;
  return !identity.includes(".") || processIdentity(pid) === identity;
}

/** util-linux's setpriv (Debian: required), which can set PR_SET_PDEATHSIG before exec. */
const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));

/**
 * `command` and `args`, run so that the kernel kills the process when the
 * service dies, even by SIGKILL (PR_SET_PDEATHSIG through `setpriv
 * --pdeathsig KILL`, see prctl(2)); as they are when setpriv is missing.
 */
export function diesWithService(command: string, args: string[]): { command: string; args: string[] } {
  return SETPRIV ? { command: SETPRIV, args: ["--pdeathsig", "KILL", "--", command, ...args] } : { command, args };
}

/**
 * The environment for programs on the desktop: `env` without the service's
 * own settings (DESKTOPD_*: the token, its file, URLs) nor its trace
 * exporter's (OTEL_*: a collector's address and credentials). A program on
 * the desktop (a terminal, a browser) must not be able to show either.
 */
export function desktopEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith("DESKTOPD_") && !k.startsWith("OTEL_")));
}

/** `pid`'s parent, process group and session from /proc/<pid>/stat (proc(5)), or undefined once it is gone. */
export function processIds(pid: number): { ppid: number; pgrp: number; session: number } | undefined {
  const fields = statFields(pid);
  if (!fields) return undefined;
  const [, ppid, pgrp, session] = fields.map(Number);
  return { ppid, pgrp, session };
}

/** How far up the parent chain `startedBy` looks. */
const MAX_ANCESTRY = 32;

/**
 * Whether `pid` is a process the desktop started: a member of one of the
 * process groups or sessions led by `leaders` (the desktop's programs, each
 * started in its own), or a descendant of one. Never the service itself.
 * What a window claims about its process (_NET_WM_PID) is not evidence.
 */
export function startedBy(pid: number, leaders: Iterable<number>): boolean {
  const own = new Set(leaders);
  if (pid <= 1 || pid === process.pid) return false;
  let p = pid;
  // Groups, not pids: a pid still used as a process group id is never given to a new process.
  for (let i = 0; i < MAX_ANCESTRY && p > 1; i++) {
    const ids = processIds(p);
    if (!ids) return false;
    if (own.has(ids.pgrp) || own.has(ids.session)) return true;
    p = ids.ppid;
  }
  return false;
}

/** Sends `signal` to `pid`; false when there is no such process (ESRCH) or no pid. */
export function signalProcess(pid: number | undefined, signal: NodeJS.Signals): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sends `signal` to the process group `pgid` (a program started in its own
 * group is its leader: pgid = its pid), so what it started goes too (the
 * shell under an xterm). False when the group is gone.
 */
export function killGroup(pgid: number | undefined, signal: NodeJS.Signals): boolean {
  return pgid ? signalProcess(-pgid, signal) : false;
}

/** How a program ended. */
export interface ProcessExit {
  exitCode?: number;
  signal?: string;
  /** The program could not start (not installed, not executable). */
  failedToStart: boolean;
  /** Why it could not start, as spawn(2)'s errno name ("E2BIG", "ENOENT"), when known. */
  error?: string;
}

/** A program running on the desktop, leader of its own process group. */
export interface DisplayProcess {
  /** Its pid, which is also its process group id; undefined when it could not start. */
  readonly pid: number | undefined;
  /** Settles when it exits, however it ends; never rejects. */
  readonly exited: Promise<ProcessExit>;
}

export interface SpawnOnDisplayOptions {
  /** X display, ":N". */
  display: string;
  /** Xauthority file holding the display's cookie; none when the server needs none. */
  xauthority?: string;
  /** The environment the program starts from (DISPLAY and XAUTHORITY are set on top). */
  env: NodeJS.ProcessEnv;
  /** Working directory. */
  cwd?: string;
  logger: Logger;
  /** True while the desktop is being stopped: exits are then expected and logged at debug level. */
  stopping?: () => boolean;
}

/**
 * Starts `argv` (no shell) on a display, detached into its own process group
 * with no stdio, so stopping the desktop can signal the whole group; it dies
 * with the service (`diesWithService`) and never sees DESKTOPD_* variables
 * (`desktopEnv`). Its exit is logged.
 */
export function spawnOnDisplay(argv: string[], opts: SpawnOnDisplayOptions): DisplayProcess {
  const env = { ...desktopEnv(opts.env), DISPLAY: opts.display, ...(opts.xauthority ? { XAUTHORITY: opts.xauthority } : {}) };
  const { command, args } = diesWithService(argv[0], argv.slice(1));
  const child = execa(command, args, { detached: true, reject: false, stdio: "ignore", env, extendEnv: false, cwd: opts.cwd });
  const exited = child.then((r): ProcessExit => {
    const exit: ProcessExit = {
      exitCode: r.exitCode,
      signal: r.signal,
      failedToStart: couldNotStart(r),
      error: typeof r.code === "string" ? r.code : undefined,
    };
    const why = exit.failedToStart ? (notFound(r) ? "not found" : String(r.code ?? `exit ${r.exitCode}`)) : undefined;
    opts.logger[opts.stopping?.() ? "debug" : "info"]({ cmd: argv[0], ...exit, why }, "desktop process exited");
    return exit;
  });
  return { pid: child.pid, exited };
}

/**
 * Whether a program could not start: no exit code and no signal (spawn
 * failed), or setpriv's exit code for a program it could not execute (126,
 * 127).
 */
export function couldNotStart(r: { exitCode?: number; signal?: string }): boolean {
  return (r.exitCode === undefined && r.signal === undefined) || (SETPRIV !== undefined && (r.exitCode === 126 || r.exitCode === 127));
}

/** Whether a program was not found (spawn's ENOENT, or setpriv's 127). */
export function notFound(r: { exitCode?: number; code?: unknown }): boolean {
  return r.code === "ENOENT" || (SETPRIV !== undefined && r.exitCode === 127);
}

/**
 * Whether `command` can be run: a path containing '/' that is an executable
 * file, or a name found so in one of `path`'s directories (as execvp(3)
 * looks it up).
 */
export function findProgram(command: string, path = process.env.PATH ?? ""): boolean {
  const executable = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes("/")) return executable(command);
  return path.split(":").some((dir) => dir !== "" && executable(`${dir}/${command}`));
}
