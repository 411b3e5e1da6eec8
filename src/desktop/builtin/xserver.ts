/**
 * Starts and stops the built-in desktop's processes: TigerVNC Xvnc (X server
 * plus VNC server in one), openbox, and the `--open` applications.
 *
 * Security: X11 listens on its Unix socket only (-nolisten tcp) behind an
 * MIT-MAGIC-COOKIE-1 cookie; the VNC server listens only on a 0600 Unix socket
 * in a private 0700 runtime directory (-rfbport -1 disables TCP), so it is
 * reachable only through the service. For the same reason TigerVNC's
 * blacklist is off: 5 connections closed before the handshake would refuse
 * every viewer (they all come from the service) for 10 s.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import type { Logger } from "pino";
import { withDefaults } from "../../os/defaults.js";
import { InstanceDir } from "../../os/instance-dir.js";
import { type DisplayProcess, diesWithService, killGroup, notFound } from "../../os/process.js";
import { DesktopApps } from "../apps.js";
import { DesktopUnavailableError } from "../errors.js";
import type { Size } from "../geometry.js";

export interface XServerOptions {
  geometry: Size;
  /** Colour depth, bits. */
  depth?: number;
  /** Parent of the private runtime directory. */
  runtimeParent?: string;
  /** Environment of every process the desktop starts (Xvnc, openbox, apps). */
  env?: NodeJS.ProcessEnv;
  logger: Logger;
  /** Time allowed for Xvnc to report its display, ms. */
  startTimeoutMs?: number;
}

export const DEFAULTS = { depth: 24, runtimeParent: tmpdir(), env: process.env, startTimeoutMs: 15_000 };

const WINDOW_MANAGER = ["openbox", "--sm-disable"];
/** Delays before the window manager is restarted, ms (see superviseWindowManager). */
const WM_RESTART = { minMs: 250, maxMs: 10_000, stableMs: 30_000 };

/** Xvnc as execa runs it: fd 3 is where -displayfd writes the display number. */
function spawnXvnc(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const run = diesWithService("Xvnc", args);
  return execa(run.command, run.args, {
    detached: true,
    reject: false,
    stdio: ["ignore", "ignore", "pipe", "pipe"],
    cwd,
    env,
    extendEnv: false,
  });
}
type Xvnc = ReturnType<typeof spawnXvnc>;

/** A running Xvnc + openbox (+ apps); `exited` settles when Xvnc ends. */
export class XServer {
  private stopping = false;
  /** The programs on this display: openbox, the `--open` apps, LaunchApplication's (src/desktop/apps.ts). */
  readonly apps: DesktopApps;
  /** Settles when the first window manager (openbox) exits or fails to start. */
  readonly windowManagerExited: Promise<unknown>;
  private windowManager?: DisplayProcess;
  private restartTimer?: NodeJS.Timeout;
  private constructor(
    readonly display: string,
    readonly cookie: string,
    private readonly dir: InstanceDir,
    readonly vncSocket: string,
    readonly xauthority: string,
    private readonly xvnc: Xvnc,
    env: NodeJS.ProcessEnv,
    private readonly logger: Logger,
  ) {
    this.apps = new DesktopApps({ display, xauthority, env, logger, dir });
    this.windowManagerExited = this.superviseWindowManager();
  }

  /**
   * Runs openbox and restarts it whenever it dies (it can abort, e.g. under
   * a storm of synthetic key events): after WM_RESTART.minMs, doubling up to
   * WM_RESTART.maxMs while it keeps dying, back to the minimum once it ran
   * WM_RESTART.stableMs. One that cannot start (not installed) is not
   * retried. Returns the first one's exit.
   */
  private superviseWindowManager(): Promise<unknown> {
    let delayMs = WM_RESTART.minMs;
    let restarts = 0;
    const run = (): DisplayProcess => {
      const started = Date.now();
      const wm = this.apps.spawn(WINDOW_MANAGER);
      this.windowManager = wm;
      void wm.exited.then((exit) => {
        if (this.stopping || exit.failedToStart) return;
        if (Date.now() - started >= WM_RESTART.stableMs) delayMs = WM_RESTART.minMs;
        restarts++;
        this.logger.warn(
          { display: this.display, exitCode: exit.exitCode, signal: exit.signal, restartInMs: delayMs, restarts },
          "window manager (openbox) exited; restarting it",
        );
        this.restartTimer = setTimeout(() => {
          if (!this.stopping) run();
        }, delayMs);
        delayMs = Math.min(delayMs * 2, WM_RESTART.maxMs);
      });
      return wm;
    };
    return run().exited;
  }

  /** The running window manager's pid (for tests and diagnostics). */
  get windowManagerPid(): number | undefined {
    return this.windowManager?.pid;
  }

  /** The private runtime directory (`<runtimeParent>/desktop-<pid>-XXXXXX`, 0700): sockets, Xauthority, what to clean up. */
  get runtimeDir(): string {
    return this.dir.path;
  }

  /** Process ids of everything this server started (Xvnc first). */
  get pids(): number[] {
    return [this.xvnc.pid, ...this.apps.groups].filter((p): p is number => p !== undefined);
  }

  /** Settles when Xvnc exits, for whatever reason. */
  get exited(): Promise<unknown> {
    return this.xvnc;
  }

  static async start(options: XServerOptions): Promise<XServer> {
    const opts = withDefaults(DEFAULTS, options);
    const log = opts.logger;
    const dir = await InstanceDir.create(opts.runtimeParent, "desktop");
    const runtimeDir = dir.path;
    const vncSocket = join(runtimeDir, "vnc.sock");
    const xauthority = join(runtimeDir, "Xauthority");
    const cookie = randomBytes(16).toString("latin1");
    await writeFile(xauthority, xauthEntry(Buffer.from(cookie, "latin1")), { mode: 0o600 });
    const { width, height } = opts.geometry;
    // biome-ignore format: flag/value pairs read best one pair per line
    const args = [
      "-displayfd", "3",
      "-geometry", `${width}x${height}`,
      "-depth", String(opts.depth),
      "-auth", xauthority,
      "-nolisten", "tcp",
      "-rfbport", "-1",
      "-rfbunixpath", vncSocket,
      "-rfbunixmode", "0600",
      "-SecurityTypes", "None",
      // Every viewer is the service, which authenticates them: a blacklist would lock them all out at once.
      "-UseBlacklist=0",
      "-AlwaysShared",
      "-AcceptSetDesktopSize=0",
      "-desktop", "desktopd",
    ];
    log.info({ geometry: `${width}x${height}`, runtimeDir }, "starting Xvnc");
    const xvnc = spawnXvnc(args, runtimeDir, opts.env);
    await dir.recordGroup(xvnc.pid);
    let stderr = "";
    xvnc.stderr.on("data", (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-4000);
    });
    let display: string;
    try {
      display = await readDisplay(xvnc, opts.startTimeoutMs);
    } catch (err) {
      killGroup(xvnc.pid, "SIGKILL");
      const result = await xvnc;
      await dir.remove();
      const why = notFound(result)
        ? "Xvnc is not installed (Debian: tigervnc-standalone-server)"
        : `${(err as Error).message}; Xvnc stderr: ${stderr.trim().split("\n").slice(-3).join(" | ")}`;
      throw new DesktopUnavailableError(`cannot start Xvnc: ${why}`, { cause: err });
    }
    const server = new XServer(display, cookie, dir, vncSocket, xauthority, xvnc, opts.env, log);
    void xvnc.then((r) => {
      if (!server.stopping) log.warn({ display, exitCode: r.exitCode, signal: r.signal, stderr: stderr.slice(-500) }, "Xvnc exited");
    });
    log.info({ display, pid: xvnc.pid }, "Xvnc started");
    return server;
  }

  /**
   * Stops every process (SIGTERM to each process group, SIGKILL after
   * `graceMs`) and removes the runtime directory. Idempotent.
   */
  async stop(graceMs = 3000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.restartTimer);
    killGroup(this.xvnc.pid, "SIGTERM");
    const timer = setTimeout(() => killGroup(this.xvnc.pid, "SIGKILL"), graceMs);
    await Promise.all([this.apps.stop(graceMs), this.xvnc]);
    clearTimeout(timer);
    killGroup(this.xvnc.pid, "SIGKILL");
    await this.dir.remove();
    this.logger.info({ display: this.display }, "desktop stopped");
  }
}

/** Reads the display number Xvnc writes to fd 3 once it accepts connections. */
function readDisplay(proc: Xvnc, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const fd3 = proc.stdio[3];
    let buf = "";
    const timer = setTimeout(() => reject(new Error(`no display after ${timeoutMs} ms`)), timeoutMs);
    fd3.on("data", (b: Buffer) => {
      buf += b.toString();
      const m = /^(\d+)\n/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(`:${m[1]}`);
      }
    });
    proc.then((r) => {
      clearTimeout(timer);
      reject(new Error(notFound(r) ? "not found" : `exited early (code ${r.exitCode}, signal ${r.signal})`));
    });
  });
}

/**
 * One Xauthority entry (Xau file format: big-endian lengths) for FamilyWild,
 * which matches any host and display number, with an MIT-MAGIC-COOKIE-1.
 */
function xauthEntry(cookie: Buffer): Buffer {
  const field = (b: Buffer) => {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(b.length);
    return [len, b];
  };
  const family = Buffer.alloc(2);
  family.writeUInt16BE(0xffff);
  return Buffer.concat([
    family,
    ...field(Buffer.alloc(0)),
    ...field(Buffer.alloc(0)),
    ...field(Buffer.from("MIT-MAGIC-COOKIE-1")),
    ...field(cookie),
  ]);
}
