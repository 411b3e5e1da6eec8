/**
 * One long-running encoder process (ffmpeg, `portabledesktop record`): started
 * from an argument array (no shell) in its own process group, asked to finish
 * with SIGINT (ffmpeg and the CLI then write the MP4's index), and killed with
 * its whole group when it does not finish in time.
 */
import { createInterface } from "node:readline";
import { execa } from "execa";
import type { Logger } from "pino";
import { diesWithService, killGroup, notFound, signalProcess } from "../../os/process.js";
import { TIMED_OUT, withTimeout } from "../../os/sleep.js";
import { DesktopUnavailableError } from "../errors.js";

export interface EncoderSpawnOptions {
  /** Short name for logs and errors, e.g. "ffmpeg". */
  name: string;
  command: string;
  args: string[];
  /** The whole environment of the process. */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Each line the process writes (stdout and stderr), without the newline. */
  onLine?: (line: string) => void;
  /** The line that says the encoder captures (see `ready`). */
  readyWhen?: (line: string) => boolean;
}

export interface EncoderExit {
  exitCode?: number;
  signal?: string;
}

/** Dies with the service (setpriv), so a killed service leaves no encoder behind. */
function spawnEncoder(opts: EncoderSpawnOptions) {
  const run = diesWithService(opts.command, opts.args);
  return execa(run.command, run.args, { detached: true, reject: false, stdin: "ignore", env: opts.env, extendEnv: false, buffer: false });
}

export class EncoderProcess {
  /** Settles when the process has exited; never rejects. */
  readonly exited: Promise<EncoderExit>;
  private exit?: EncoderExit;
  private tail: string[] = [];
  private stopping?: Promise<EncoderExit | undefined>;
  private readonly readyLine: Promise<void>;

  private constructor(
    private readonly proc: ReturnType<typeof spawnEncoder>,
    private readonly opts: EncoderSpawnOptions,
  ) {
    let sawReadyLine = () => {};
    this.readyLine = new Promise((resolve) => (sawReadyLine = resolve));
    const onLine = (line: string) => {
      this.tail = [...this.tail.slice(-19), line];
      opts.onLine?.(line);
      if (opts.readyWhen?.(line)) sawReadyLine();
    };
    for (const stream of [proc.stdout, proc.stderr]) createInterface({ input: stream }).on("line", onLine);
    this.exited = proc.then((r) => {
      this.exit = { exitCode: r.exitCode, signal: r.signal };
      const why = notFound(r) ? `${opts.command} not found` : undefined;
      opts.logger.debug({ encoder: opts.name, pid: proc.pid, ...this.exit, why }, "encoder exited");
      return this.exit;
    });
  }

  /** Starts the process (argument array, its own process group); see `ready` for when it captures. */
  static spawn(opts: EncoderSpawnOptions): EncoderProcess {
    return new EncoderProcess(spawnEncoder(opts), opts);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** The last lines the process wrote, for error messages. */
  lastLines(n = 3): string {
    return this.tail.slice(-n).join(" | ");
  }

  /**
   * Resolves once the process wrote a line `readyWhen` accepts (`what` names
   * it in errors). Throws DesktopUnavailableError when the process exits
   * first, or after `timeoutMs`, and then kills it.
   */
  async ready(timeoutMs: number, what: string): Promise<void> {
    const outcome = await withTimeout(Promise.race([this.readyLine.then(() => "ready"), this.exited.then(() => "exited")]), timeoutMs);
    if (outcome === "ready") return;
    if (outcome === "exited") {
      throw new DesktopUnavailableError(
        `${this.opts.name} exited before ${what} (${describe(this.exit)}): ${this.lastLines() || "no output"}`,
      );
    }
    this.kill();
    throw new DesktopUnavailableError(`${this.opts.name}: no ${what} after ${timeoutMs} ms: ${this.lastLines() || "no output"}`);
  }

  /**
   * SIGINT to the process, then up to `graceMs` for it to exit; SIGKILL to its
   * group after that. Resolves with how it exited, or undefined when it had to
   * be killed. Idempotent; an encoder that already exited just reports.
   */
  stop(graceMs: number): Promise<EncoderExit | undefined> {
    this.stopping ??= (async () => {
      if (this.running) signalProcess(this.proc.pid, "SIGINT");
      const outcome = await withTimeout(this.exited, graceMs);
      if (outcome === TIMED_OUT) {
        this.opts.logger.warn({ encoder: this.opts.name, pid: this.pid, graceMs }, "encoder ignored SIGINT; killing it");
        this.kill();
        await this.exited;
        return undefined;
      }
      // Helpers the encoder started (its group) must not outlive it.
      killGroup(this.proc.pid, "SIGKILL");
      return outcome;
    })();
    return this.stopping;
  }

  /** SIGKILL to the whole process group. */
  kill(): void {
    killGroup(this.proc.pid, "SIGKILL");
    signalProcess(this.proc.pid, "SIGKILL");
  }
}

function describe(e: EncoderExit | undefined): string {
  return e?.signal ? `killed by ${e.signal}` : `exit ${e?.exitCode}`;
}
