/**
 * The PortableDesktop backend: the same Desktop, driven through the
 * `portabledesktop` CLI (reference section 5), one process per command.
 *
 * Better than the seed: the session's Xvnc is really watched (a dead desktop is
 * replaced on the next call), every command is bound to this instance's own
 * state file, positional values go after `--`, modifiers and buttons are
 * released even when a command fails, and `close` has a time budget.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import type { Logger } from "pino";
import sharp from "sharp";
import type { CaptureOptions, Desktop, DisplayConfig, Frame, MouseButton, Recorder, RecordOptions } from "../desktop.js";
import { DesktopClosedError, DesktopUnavailableError } from "../errors.js";
import type { Point, Size } from "../geometry.js";
import type { Key } from "../keys.js";
import { alive } from "../process.js";
import { PortableDesktopCli, PortableDesktopCommandError } from "./cli.js";
import { recordWithCli } from "./record.js";

export interface PortableOptions {
  /** Path of the `portabledesktop` binary (see binary.ts for resolution). */
  binary: string;
  /** Native framebuffer size; 1920x1080 by default. */
  geometry?: Size;
  /** Applications started in the session once it is up (argv arrays, no shell). */
  open?: string[][];
  logger: Logger;
  /** Per-command timeout, ms (30000); `up` gets 60000. */
  commandTimeoutMs?: number;
  /** Time budget for `close` (`down`, then signals), ms (10000). */
  closeBudgetMs?: number;
}

/** What `up --json` prints (reference section 5); only what we use. */
interface UpOutput {
  display?: number | string;
  vncPort?: number;
  geometry?: string;
  sessionDir?: string;
  stateFile?: string;
  xvncPid?: number;
  openboxPid?: number;
}

interface Session {
  native: Size;
  display: string;
  vncPort: number;
  /** Every process the session reported (stopped on close). */
  pids: number[];
  /** Xvnc's pid: the desktop is alive while it is. */
  xvncPid?: number;
  /** Process groups of the `open` apps. */
  appGroups: number[];
  alive: boolean;
}

const signal = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
};

const running = (s: Session) => s.alive && (s.xvncPid === undefined || alive(s.xvncPid));

export class PortableDesktop implements Desktop {
  readonly backend = "portabledesktop";
  private session?: Session;
  private starting?: Promise<Session>;
  private runtimeDir?: string;
  private cli?: PortableDesktopCli;
  private closed = false;
  private watcher?: NodeJS.Timeout;
  private readonly geometry: Size;

  constructor(private readonly opts: PortableOptions) {
    this.geometry = opts.geometry ?? { width: 1920, height: 1080 };
  }

  async start(): Promise<DisplayConfig> {
    const s = await this.ensure();
    return { native: s.native, backend: this.backend };
  }

  /** The running session's X display (":N") and process ids, for tests and diagnostics. */
  get sessionInfo(): { display: string; vncPort: number; pids: number[] } | undefined {
    const s = this.session;
    return s?.alive ? { display: s.display, vncPort: s.vncPort, pids: s.pids } : undefined;
  }

  private ensure(): Promise<Session> {
    if (this.closed) return Promise.reject(new DesktopClosedError());
    const s = this.session;
    if (s && running(s)) return Promise.resolve(s);
    this.starting ??= this.launch().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async commands(): Promise<PortableDesktopCli> {
    if (!this.cli) {
      // A private state file: two desktopd instances never share a session.
      this.runtimeDir = await mkdtemp(join(tmpdir(), "desktopd-pd-"));
      this.cli = new PortableDesktopCli({
        binary: this.opts.binary,
        stateFile: join(this.runtimeDir, "session.json"),
        logger: this.opts.logger,
        timeoutMs: this.opts.commandTimeoutMs,
      });
    }
    return this.cli;
  }

  private async launch(): Promise<Session> {
    const log = this.opts.logger;
    const cli = await this.commands();
    if (this.session) {
      log.warn({ display: this.session.display }, "portabledesktop session died; starting a new one");
      this.session.alive = false;
      for (const group of this.session.appGroups) signal(-group, "SIGKILL");
      await cli.run(["down"], [], { timeoutMs: 5000 }).catch(() => undefined);
      this.session = undefined;
    }
    const { width, height } = this.geometry;
    const out = await cli.json<UpOutput>(["up", "--json", "--geometry", `${width}x${height}`], { timeoutMs: 60_000 });
    let session: Session;
    try {
      session = parseUp(out);
    } catch (err) {
      await cli.run(["down"], [], { timeoutMs: 5000 }).catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await cli.run(["down"], [], { timeoutMs: 5000 }).catch(() => undefined);
      throw new DesktopClosedError();
    }
    this.session = session;
    for (const argv of this.opts.open ?? []) this.spawnApp(session, argv);
    log.info(
      {
        display: session.display,
        vncPort: session.vncPort,
        pids: session.pids,
        native: `${session.native.width}x${session.native.height}`,
      },
      "portabledesktop session started",
    );
    this.watch();
    return session;
  }

  /** Starts an `--open` app on the session's display, in its own process group (stopped on close). */
  private spawnApp(session: Session, argv: string[]): void {
    const p = execa(argv[0], argv.slice(1), {
      detached: true,
      reject: false,
      stdio: "ignore",
      env: { DISPLAY: session.display },
      cwd: process.env.HOME,
    });
    if (p.pid) session.appGroups.push(p.pid);
    void p.then((r) => this.opts.logger.info({ cmd: argv[0], exitCode: r.exitCode, signal: r.signal }, "desktop process exited"));
  }

  /** Notices a dead desktop between calls (logged; the next call replaces it). */
  private watch(): void {
    clearInterval(this.watcher);
    this.watcher = setInterval(() => {
      const s = this.session;
      if (s?.alive && !running(s)) {
        s.alive = false;
        this.opts.logger.warn({ display: s.display }, "portabledesktop session lost");
      }
    }, 1000);
    this.watcher.unref();
  }

  private async run(args: string[], positional: string[] = [], signal?: AbortSignal): Promise<string> {
    await this.ensure();
    return this.cli!.run(args, positional, { signal });
  }

  async connectVnc(): Promise<Socket> {
    const s = await this.ensure();
    return new Promise((resolve, reject) => {
      const sock = connect(s.vncPort, "127.0.0.1");
      sock.once("connect", () => {
        sock.off("error", reject);
        resolve(sock);
      });
      sock.once("error", (err) => reject(new DesktopUnavailableError(`cannot reach VNC server: ${err.message}`, { cause: err })));
    });
  }

  /**
   * A native frame from `screenshot --json` (base64 PNG). The CLI always draws
   * the pointer in, so `includeCursor: false` cannot hide it on this backend.
   */
  async capture(opts: CaptureOptions = {}): Promise<Frame> {
    await this.ensure();
    const shot = await this.cli!.json<{ data?: string }>(["screenshot", "--json"]);
    if (typeof shot.data !== "string") throw new PortableDesktopCommandError(["screenshot"], 0, "", "output has no data field");
    let img = sharp(Buffer.from(shot.data, "base64")).removeAlpha();
    if (opts.region) img = img.extract({ left: opts.region.x, top: opts.region.y, width: opts.region.width, height: opts.region.height });
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: 3, capturedAt: new Date() };
  }

  /** `portabledesktop record`, stopped with SIGINT (src/desktop/portable/record.ts). */
  async record(opts: RecordOptions): Promise<Recorder> {
    await this.ensure();
    return recordWithCli(this.cli!, { ...opts, logger: this.opts.logger });
  }

  async cursorPosition(): Promise<Point> {
    await this.ensure();
    const p = await this.cli!.json<{ x?: unknown; y?: unknown }>(["cursor", "--json"]);
    if (!Number.isInteger(p.x) || !Number.isInteger(p.y))
      throw new PortableDesktopCommandError(["cursor"], 0, "", `bad cursor output ${JSON.stringify(p)}`);
    return { x: p.x as number, y: p.y as number };
  }

  async move(p: Point): Promise<void> {
    await this.run(["mouse", "move"], [String(p.x), String(p.y)]);
  }

  async click(button: MouseButton, count: number, at?: Point, modifiers: Key[] = []): Promise<void> {
    if (at) await this.move(at);
    await this.holding(modifiers, async () => {
      for (let i = 0; i < count; i++) await this.run(["mouse", "click", button]);
    });
  }

  async buttonDown(button: MouseButton): Promise<void> {
    await this.run(["mouse", "down", button]);
  }

  async buttonUp(button: MouseButton): Promise<void> {
    await this.run(["mouse", "up", button]);
  }

  async scroll(at: Point | undefined, dx: number, dy: number, modifiers: Key[] = []): Promise<void> {
    if (at) await this.move(at);
    await this.holding(modifiers, () => this.run(["mouse", "scroll"], [String(dx), String(dy)]));
  }

  async drag(from: Point, to: Point): Promise<void> {
    await this.move(from);
    await this.buttonDown("left");
    try {
      await this.move(to);
    } finally {
      await this.buttonUp("left");
    }
  }

  async keyPress(combo: Key[]): Promise<void> {
    await this.run(["keyboard", "key"], [combo.map((k) => k.name).join("+")]);
  }

  async keyDown(combo: Key[]): Promise<void> {
    for (const k of combo) await this.run(["keyboard", "down"], [k.name]);
  }

  async keyUp(combo: Key[]): Promise<void> {
    // Release every key even if one release fails; report the first failure.
    let first: unknown;
    for (const k of [...combo].reverse()) await this.run(["keyboard", "up"], [k.name]).catch((err) => (first ??= err));
    if (first) throw first;
  }

  async type(text: string, signal?: AbortSignal): Promise<void> {
    await this.run(["keyboard", "type"], [text], signal);
  }

  /** Runs `fn` with `keys` held; they are released whatever `fn` does. */
  private async holding(keys: Key[], fn: () => Promise<unknown>): Promise<void> {
    if (keys.length === 0) {
      await fn();
      return;
    }
    const held: Key[] = [];
    try {
      for (const k of keys) {
        await this.run(["keyboard", "down"], [k.name]);
        held.push(k);
      }
      await fn();
    } finally {
      await this.keyUp(held);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watcher);
    await this.starting?.catch(() => undefined);
    const s = this.session;
    this.session = undefined;
    const budget = this.opts.closeBudgetMs ?? 10_000;
    if (s && this.cli) {
      await this.cli
        .run(["down"], [], { timeoutMs: Math.max(1000, budget - 1000) })
        .catch((err) => this.opts.logger.warn({ err: err.message }, "portabledesktop down failed"));
      // Whatever `down` left behind goes too, and the apps we started.
      for (const pid of s.pids.filter(alive)) signal(pid, "SIGKILL");
      for (const group of s.appGroups) signal(-group, "SIGKILL");
      this.opts.logger.info({ display: s.display }, "portabledesktop session stopped");
    }
    if (this.runtimeDir) await rm(this.runtimeDir, { recursive: true, force: true });
  }
}

/** Validates `up --json` output; a port of 0 or a bad geometry is an error, not a zero. */
export function parseUp(out: UpOutput): Session {
  const port = out.vncPort;
  if (!Number.isInteger(port) || port! <= 0 || port! > 65535) {
    throw new DesktopUnavailableError(`portabledesktop up: bad vncPort ${JSON.stringify(port)} (need 1..65535)`);
  }
  const m = typeof out.geometry === "string" ? /^(\d{1,5})x(\d{1,5})$/.exec(out.geometry) : null;
  const native = m ? { width: Number(m[1]), height: Number(m[2]) } : undefined;
  if (!native || native.width === 0 || native.height === 0) {
    throw new DesktopUnavailableError(`portabledesktop up: unparsable geometry ${JSON.stringify(out.geometry)} (need "WxH")`);
  }
  const display = out.display === undefined ? "" : String(out.display).startsWith(":") ? String(out.display) : `:${out.display}`;
  const pids = [out.xvncPid, out.openboxPid].filter((p): p is number => Number.isInteger(p) && (p as number) > 0);
  const xvncPid = Number.isInteger(out.xvncPid) && out.xvncPid! > 0 ? out.xvncPid : undefined;
  return { native, display, vncPort: port!, pids, xvncPid, appGroups: [], alive: true };
}
