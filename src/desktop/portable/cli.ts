/**
 * Runs `portabledesktop` subcommands (the CLI of
 * https://github.com/coder/portabledesktop, as coder/coder's
 * agent/agentdesktop/portabledesktop.go drives it): argument arrays
 * through execa, never a shell; each bound to one session's state file; each
 * with a timeout after which it is killed; slow ones logged.
 */
import { execa } from "execa";
import type { Logger } from "pino";
import { withDefaults } from "../../os/defaults.js";
import { desktopEnv } from "../../os/process.js";
import { DesktopUnavailableError } from "../errors.js";

/** A `portabledesktop` command that failed: exit code, stderr, or a timeout. */
export class PortableDesktopCommandError extends DesktopUnavailableError {
  /** The command did not finish within its time limit (the CLI stalled) and was killed. */
  readonly timedOut: boolean;

  constructor(
    /** The subcommand and its arguments, e.g. ["mouse", "click", "left"]. */
    readonly command: string[],
    /** Exit code, or undefined when it was killed or could not start. */
    readonly exitCode: number | undefined,
    /** The CLI's stderr (its `error: ...` line), trimmed. */
    readonly stderr: string,
    detail: string,
    options?: { cause?: unknown; timedOut?: boolean },
  ) {
    super(`portabledesktop ${label(command)}: ${detail}`, options);
    this.name = "PortableDesktopCommandError";
    this.timedOut = options?.timedOut ?? false;
  }
}

/** "mouse move" for ["mouse", "move", "--", "1", "2"]: the subcommand, without flags or values. */
function label(args: string[]): string {
  const words: string[] = [];
  for (const a of args) {
    if (a.startsWith("-") || words.length === 2) break;
    words.push(a);
  }
  return words.join(" ");
}

export interface CliOptions {
  /** Path of the `portabledesktop` binary. */
  binary: string;
  /** The session's state file; every command gets `--state-file` for it. */
  stateFile: string;
  /** The environment commands run in (PORTABLEDESKTOP_STATE_FILE is set on top); read at each command. */
  env?: NodeJS.ProcessEnv;
  logger: Logger;
  /** Per-command timeout, ms; a command may ask for its own. */
  timeoutMs?: number;
  /** Commands slower than this are logged as warnings, ms. */
  slowMs?: number;
}

export const DEFAULTS = { env: process.env, timeoutMs: 30_000, slowMs: 2000 };

export class PortableDesktopCli {
  private readonly opts: typeof DEFAULTS & CliOptions;

  constructor(options: CliOptions) {
    this.opts = withDefaults(DEFAULTS, options);
  }

  /**
   * The binary, argv and environment for `portabledesktop <args...>` bound to
   * this session (for long-running commands such as `record`).
   */
  invocation(args: string[], positional: string[] = []): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
    return {
      command: this.opts.binary,
      args: [...args, "--state-file", this.opts.stateFile, ...(positional.length ? ["--", ...positional] : [])],
      // Without DESKTOPD_*: the session's processes inherit this environment.
      env: { ...desktopEnv(this.opts.env), PORTABLEDESKTOP_STATE_FILE: this.opts.stateFile },
    };
  }

  /**
   * Runs `portabledesktop <args...> --state-file F [-- positional...]` and
   * returns its stdout. `positional` goes after `--`, so values starting with
   * "-" (negative scroll, text) are never read as flags.
   * Throws PortableDesktopCommandError (UNAVAILABLE) on a non-zero exit, a
   * timeout or a missing binary; AbortError when `signal` fires.
   */
  async run(args: string[], positional: string[] = [], opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string> {
    const { args: argv, env } = this.invocation(args, positional);
    const timeout = opts.timeoutMs ?? this.opts.timeoutMs;
    const started = performance.now();
    const r = await execa(this.opts.binary, argv, {
      reject: false,
      timeout,
      cancelSignal: opts.signal,
      stdin: "ignore",
      env,
      extendEnv: false,
      // A stopped (SIGSTOP) CLI cannot act on SIGTERM; killed outright, it never resumes to send its input.
      killSignal: "SIGKILL",
      maxBuffer: 256 * 1024 * 1024,
    });
    const ms = Math.round(performance.now() - started);
    const log = this.opts.logger;
    const command = [...args, ...positional];
    const shown = label(args);
    if (ms > this.opts.slowMs) log.warn({ command: shown, ms }, "portabledesktop command slow");
    else log.debug({ command: shown, ms }, "portabledesktop command");
    if (r.isCanceled) throw opts.signal?.reason instanceof Error ? opts.signal.reason : new DOMException("aborted", "AbortError");
    const stderr = String(r.stderr ?? "").trim();
    if (r.timedOut) {
      throw new PortableDesktopCommandError(command, undefined, stderr, `did not answer within ${timeout} ms (stalled; killed)`, {
        timedOut: true,
      });
    }
    if (r.failed) {
      const code = r.code;
      const detail =
        code === "ENOENT"
          ? `binary not found at ${this.opts.binary}`
          : r.exitCode !== undefined
            ? `exit ${r.exitCode}: ${stderr.replace(/^error:\s*/, "") || "(no stderr)"}`
            : `killed by ${r.signal}`;
      log.warn({ command: shown, exitCode: r.exitCode, stderr: stderr.slice(0, 500) }, "portabledesktop command failed");
      throw new PortableDesktopCommandError(command, r.exitCode, stderr, detail);
    }
    return String(r.stdout ?? "");
  }

  /** Like run, parsing stdout as one JSON object; bad JSON is a PortableDesktopCommandError. */
  async json<T>(args: string[], opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<T> {
    const out = await this.run(args, [], opts);
    try {
      const v = JSON.parse(out.trim().split("\n").pop() ?? "");
      if (v === null || typeof v !== "object") throw new Error("not a JSON object");
      return v as T;
    } catch (err) {
      throw new PortableDesktopCommandError(args, 0, "", `unparsable JSON output: ${JSON.stringify(out.slice(0, 200))}`, { cause: err });
    }
  }
}
