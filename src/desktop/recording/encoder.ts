/**
 * One long-running encoder process (ffmpeg, `portabledesktop record`): started
 * from an argument array (no shell) in its own process group, asked to finish
 * with SIGINT (ffmpeg and the CLI then write the MP4's index), and killed with
 * its whole group when it does not finish in time.
 */
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { execa } from "execa";
import type { Logger } from "pino";
import { DesktopUnavailableError } from "../errors.js";

export interface EncoderSpawnOptions {
  /** Short name for logs and errors, e.g. "ffmpeg". */
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  logger: Logger;
  /** Each line the process writes (stdout and stderr), without the newline. */
  onLine?: (line: string) => void;
}

export interface EncoderExit {
  exitCode?: number;
  signal?: string;
}

type Proc = Promise<EncoderExit & { code?: string }> & { pid?: number; stdout: Readable | null; stderr: Readable | null };

export class EncoderProcess {
  /** Settles when the process has exited; never rejects. */
  readonly exited: Promise<EncoderExit>;
  private exit?: EncoderExit;
  private tail: string[] = [];
  private stopping?: Promise<EncoderExit | undefined>;

  private constructor(
    private readonly proc: Proc,
    private readonly opts: EncoderSpawnOptions,
  ) {
    const onLine = (line: string) => {
      this.tail = [...this.tail.slice(-19), line];
      opts.onLine?.(line);
    };
    for (const stream of [proc.stdout, proc.stderr]) if (stream) createInterface({ input: stream }).on("line", onLine);
    this.exited = proc.then((r) => {
      this.exit = { exitCode: r.exitCode, signal: r.signal };
      const why = r.code === "ENOENT" ? `${opts.command} not found` : undefined;
      opts.logger.debug({ encoder: opts.name, pid: proc.pid, ...this.exit, why }, "encoder exited");
      return this.exit;
    });
  }

  static spawn(opts: EncoderSpawnOptions): EncoderProcess {
    const proc = execa(opts.command, opts.args, {
      detached: true,
      reject: false,
      stdin: "ignore",
      env: opts.env,
      buffer: false,
    }) as unknown as Proc;
    return new EncoderProcess(proc, opts);
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
   * Polls `ready` every 25 ms until it holds. Throws DesktopUnavailableError
   * (and kills the process) when the process exits first or `timeoutMs` passes.
   */
  async waitUntil(ready: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (await ready()) return;
      if (!this.running)
        throw new DesktopUnavailableError(
          `${this.opts.name} exited before ${what} (${describe(this.exit!)}): ${this.lastLines() || "no output"}`,
        );
      if (performance.now() > deadline) {
        this.kill();
        throw new DesktopUnavailableError(`${this.opts.name}: no ${what} after ${timeoutMs} ms: ${this.lastLines() || "no output"}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /**
   * SIGINT to the process, then up to `graceMs` for it to exit; SIGKILL to its
   * group after that. Resolves with how it exited, or undefined when it had to
   * be killed. Idempotent; an encoder that already exited just reports.
   */
  stop(graceMs: number): Promise<EncoderExit | undefined> {
    this.stopping ??= (async () => {
      if (this.running) signal(this.proc.pid, "SIGINT");
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), graceMs)));
      const outcome = await Promise.race([this.exited, timedOut]);
      clearTimeout(timer);
      if (outcome === "timeout") {
        this.opts.logger.warn({ encoder: this.opts.name, pid: this.pid, graceMs }, "encoder ignored SIGINT; killing it");
        this.kill();
        await this.exited;
        return undefined;
      }
      // Helpers the encoder started (its group) must not outlive it.
      signal(-(this.proc.pid ?? 0), "SIGKILL");
      return outcome;
    })();
    return this.stopping;
  }

  /** SIGKILL to the whole process group. */
  kill(): void {
    signal(-(this.proc.pid ?? 0), "SIGKILL");
    signal(this.proc.pid, "SIGKILL");
  }
}

function signal(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function describe(e: EncoderExit): string {
  return e.signal ? `killed by ${e.signal}` : `exit ${e.exitCode}`;
}
