/**
 * The PortableDesktop backend: the same Desktop, driven through the
 * `portabledesktop` CLI (https://github.com/coder/portabledesktop), one
 * process per command.
 *
 * The session's Xvnc is watched (a dead desktop is replaced on the next call);
 * every command is bound to this instance's own state file; positional values
 * go after `--`; modifiers and buttons are released even when a command
 * fails; `down` at close has a time limit, after which the session's
 * processes are killed.
 */
import type { Socket } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { withDefaults } from "../defaults.js";
import type { CaptureOptions, Desktop, DisplayConfig, Frame, MouseButton, Recorder, RecordOptions } from "../desktop.js";
import { DesktopUnavailableError, NotFoundError, UnimplementedError } from "../errors.js";
import { watchFrames } from "../frame-watch.js";
import type { Point, Size } from "../geometry.js";
import { InstanceDir } from "../instance-dir.js";
import { type Key, LOCK_MASK } from "../keys.js";
import { alive, dialVnc, findProgram, killGroup, notStarted, signalProcess, spawnOnDisplay } from "../process.js";
import { ChangeLog, type ScreenChanges } from "../screen-changes.js";
import { SessionKeeper } from "../session.js";
import { Clipboard } from "../x11/clipboard.js";
import { X11Connection } from "../x11/connection.js";
import { watchDamage } from "../x11/damage-watch.js";
import { X11DesktopExtras } from "../x11/desktop-extras.js";
import { PortableDesktopCli, PortableDesktopCommandError } from "./cli.js";
import { DEFAULTS, type PortableOptions, REPLACED_DOWN_TIMEOUT_MS, TYPE_MS_PER_CHAR } from "./options.js";
import { recordWithCli } from "./record.js";
import { parseUp, probe, type Session, type UpOutput } from "./session.js";

export { DEFAULTS, type PortableOptions } from "./options.js";

export class PortableDesktop extends X11DesktopExtras implements Desktop {
  readonly backend = "portabledesktop";
  private readonly opts: typeof DEFAULTS & PortableOptions;
  private readonly sessions: SessionKeeper<Session>;
  private dir?: InstanceDir;
  private cliPromise?: Promise<PortableDesktopCli>;

  constructor(options: PortableOptions) {
    super();
    this.opts = withDefaults(DEFAULTS, options);
    this.sessions = new SessionKeeper<Session>(
      { launch: () => this.launch(), stop: (s, why) => this.stop(s, why), probe, describe: (s) => ({ display: s.display }) },
      this.opts.logger,
    );
  }

  async start(): Promise<DisplayConfig> {
    const s = await this.sessions.get();
    return { native: s.native, backend: this.backend };
  }

  /** The running session's X display (":N") and process ids, for tests and diagnostics. */
  get sessionInfo(): { display: string; vncPort: number; pids: number[] } | undefined {
    const s = this.sessions.current();
    return s && { display: s.display, vncPort: s.vncPort, pids: s.pids };
  }

  /** The CLI bound to this instance's private state file (two desktopd instances never share a session). */
  private cli(): Promise<PortableDesktopCli> {
    this.cliPromise ??= (async () => {
      this.dir = await InstanceDir.create(this.opts.runtimeParent, "portabledesktop");
      const stateFile = join(this.dir.path, "session.json");
      // If this instance dies, the next one stops the session it left (src/desktop/instance-dir.ts).
      await this.dir.recordCleanup([this.opts.binary, "down", "--state-file", stateFile], { PORTABLEDESKTOP_STATE_FILE: stateFile });
      return new PortableDesktopCli({
        binary: this.opts.binary,
        stateFile,
        env: this.opts.env,
        logger: this.opts.logger,
        timeoutMs: this.opts.limits.requestTimeoutMs,
      });
    })();
    return this.cliPromise;
  }

  private async launch(): Promise<Session> {
    const cli = await this.cli();
    const { width, height } = this.opts.geometry;
    const out = await cli.json<UpOutput>(["up", "--json", "--geometry", `${width}x${height}`], { timeoutMs: this.opts.upTimeoutMs });
    let session: Session;
    try {
      session = parseUp(out);
    } catch (err) {
      await this.down(cli, REPLACED_DOWN_TIMEOUT_MS);
      throw err;
    }
    for (const pid of session.pids) await this.dir?.recordPid(pid);
    for (const argv of this.opts.open) {
      session.apps.push(spawnOnDisplay(argv, { display: session.display, env: this.opts.env, cwd: homedir(), logger: this.opts.logger }));
    }
    session.changes = await this.watchScreen(session);
    // Notices a dead desktop between calls (logged; the next call replaces
    // it), and replaces one that stalled for too long without waiting for a call.
    session.watcher = setInterval(() => {
      const why = probe(session);
      if (why) this.sessions.lost(session, why);
      // Commands that keep timing out feed the same watch as the heartbeat.
      else if (session.stall.stalledForMs >= this.opts.limits.replaceAfterMs) {
        this.sessions.replaceNow(session, `unresponsive for ${Math.round(session.stall.stalledForMs / 1000)} s: ${session.stall.stalled}`);
      }
    }, this.opts.watchIntervalMs).unref();
    if (session.x) {
      const x = session.x;
      session.stall.heartbeat(
        () => x.sync(),
        this.opts.limits.replaceAfterMs,
        (why) => this.sessions.replaceNow(session, why),
      );
    }
    const native = `${session.native.width}x${session.native.height}`;
    this.opts.logger.info(
      { display: session.display, vncPort: session.vncPort, pids: session.pids, native },
      "portabledesktop session started",
    );
    return session;
  }

  /** `down`, then whatever it left behind goes too, and the apps we started. */
  private async stop(s: Session, why: "replaced" | "closed"): Promise<void> {
    clearInterval(s.watcher);
    s.stall.stop();
    void s.clipboard?.then(
      (c) => c.close(),
      () => undefined,
    );
    s.x?.close();
    await this.down(await this.cli(), why === "closed" ? this.opts.downTimeoutMs : REPLACED_DOWN_TIMEOUT_MS);
    for (const pid of s.pids.filter(alive)) signalProcess(pid, "SIGKILL");
    for (const app of s.apps) killGroup(app.pid, "SIGKILL");
    this.opts.logger.info({ display: s.display, why }, "portabledesktop session stopped");
  }

  private async down(cli: PortableDesktopCli, timeoutMs: number): Promise<void> {
    await cli
      .run(["down"], [], { timeoutMs })
      .catch((err: Error) => this.opts.logger.warn({ err: err.message }, "portabledesktop down failed"));
  }

  /** A CLI command on the running session; its outcome tells the stall watch whether the CLI answers. */
  private async run(args: string[], positional: string[] = [], signal?: AbortSignal, timeoutMs?: number): Promise<string> {
    const s = await this.sessions.get();
    return this.watched(s, (await this.cli()).run(args, positional, { signal, timeoutMs }));
  }

  /** A CLI command that prints one JSON object, on the running session. */
  private async json<T>(args: string[]): Promise<T> {
    const s = await this.sessions.get();
    return this.watched(s, (await this.cli()).json<T>(args));
  }

  private async watched<T>(s: Session, command: Promise<T>): Promise<T> {
    try {
      const out = await command;
      s.stall.answered();
      return out;
    } catch (err) {
      if (err instanceof PortableDesktopCommandError && err.timedOut) s.stall.missed(err.message);
      throw err;
    }
  }

  /**
   * An input command: sent only while `signal` has not aborted and, when the
   * session's X server is joined, right after it answered a round trip (so a
   * stalled server is not handed input to carry out later). A cancelled or
   * timed-out command is killed (SIGKILL), so a stopped CLI never resumes.
   */
  private async input(args: string[], positional: string[], signal?: AbortSignal, timeoutMs?: number): Promise<void> {
    const s = await this.sessions.get();
    if (s.x) await s.x.readyForInput(signal);
    else signal?.throwIfAborted();
    await this.run(args, positional, signal, timeoutMs);
  }

  stalled(): string | undefined {
    return this.sessions.current()?.stall.stalled;
  }

  /**
   * DAMAGE on the session's display when its X server lets us join without a
   * cookie (the CLI's own commands have finished when they return, so their
   * input is handled); small frames from `screenshot --target-width` otherwise.
   */
  private async watchScreen(s: Session): Promise<ChangeLog> {
    const log = this.opts.logger;
    if (this.opts.screenChanges === "auto") {
      try {
        const x = await X11Connection.connect(s.display, "", {
          part: `the portabledesktop session's X server (${s.display})`,
          requestTimeoutMs: this.opts.limits.requestTimeoutMs,
        });
        const changes = new ChangeLog({ source: "damage", sync: () => x.sync() });
        await watchDamage(x, changes, log).catch((err) => {
          x.close();
          throw err;
        });
        s.x = x;
        log.info({ display: s.display }, "screen changes: X DAMAGE on the session's display");
        return changes;
      } catch (err) {
        log.info({ display: s.display, err: (err as Error).message }, "screen changes: the X display cannot be joined; comparing frames");
      }
    }
    return watchFrames((size) => this.grab(size), s.native, log);
  }

  /** A frame of `size` from `screenshot --json --target-width W --target-height H`. */
  private async grab(size: Size): Promise<Frame> {
    const shot = await this.json<{ data?: string }>([
      "screenshot",
      "--json",
      "--target-width",
      String(size.width),
      "--target-height",
      String(size.height),
    ]);
    if (typeof shot.data !== "string") throw new PortableDesktopCommandError(["screenshot"], 0, "", "output has no data field");
    const { data, info } = await sharp(Buffer.from(shot.data, "base64")).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: 3, capturedAt: new Date() };
  }

  async screenChanges(): Promise<ScreenChanges> {
    const s = await this.sessions.get();
    if (!s.changes) throw new DesktopUnavailableError("the desktop's screen is not watched yet");
    return s.changes;
  }

  async connectVnc(): Promise<Socket> {
    const s = await this.sessions.get();
    return dialVnc({ port: s.vncPort });
  }

  /**
   * A native frame from `screenshot --json` (base64 PNG). The CLI always draws
   * the pointer in, so `includeCursor: false` cannot hide it on this backend.
   */
  async capture(opts: CaptureOptions = {}): Promise<Frame> {
    const shot = await this.json<{ data?: string }>(["screenshot", "--json"]);
    if (typeof shot.data !== "string") throw new PortableDesktopCommandError(["screenshot"], 0, "", "output has no data field");
    let img = sharp(Buffer.from(shot.data, "base64")).removeAlpha();
    if (opts.region) img = img.extract({ left: opts.region.x, top: opts.region.y, width: opts.region.width, height: opts.region.height });
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: 3, capturedAt: new Date() };
  }

  /** `portabledesktop record`, stopped with SIGINT (src/desktop/portable/record.ts). */
  async record(opts: RecordOptions): Promise<Recorder> {
    await this.sessions.get();
    return recordWithCli(await this.cli(), { ...opts, logger: this.opts.logger });
  }

  async cursorPosition(): Promise<Point> {
    const p = await this.json<{ x?: unknown; y?: unknown }>(["cursor", "--json"]);
    if (!Number.isInteger(p.x) || !Number.isInteger(p.y))
      throw new PortableDesktopCommandError(["cursor"], 0, "", `bad cursor output ${JSON.stringify(p)}`);
    return { x: p.x as number, y: p.y as number };
  }

  async move(p: Point, signal?: AbortSignal): Promise<void> {
    await this.input(["mouse", "move"], [String(p.x), String(p.y)], signal);
  }

  async click(button: MouseButton, count: number, at?: Point, modifiers: Key[] = [], signal?: AbortSignal): Promise<void> {
    if (at) await this.move(at, signal);
    await this.holding(
      modifiers,
      async () => {
        for (let i = 0; i < count; i++) await this.input(["mouse", "click", button], [], signal);
      },
      signal,
    );
  }

  async buttonDown(button: MouseButton, signal?: AbortSignal): Promise<void> {
    try {
      await this.input(["mouse", "down", button], [], signal);
    } catch (err) {
      // Cancelled or failed, the CLI may still have pressed it: a failed call holds nothing.
      await this.buttonUp(button).catch(() => undefined);
      throw err;
    }
  }

  async buttonUp(button: MouseButton): Promise<void> {
    await this.run(["mouse", "up", button]);
  }

  async scroll(at: Point | undefined, dx: number, dy: number, modifiers: Key[] = [], signal?: AbortSignal): Promise<void> {
    if (at) await this.move(at, signal);
    await this.holding(modifiers, () => this.input(["mouse", "scroll"], [String(dx), String(dy)], signal), signal);
  }

  async drag(from: Point, to: Point, signal?: AbortSignal): Promise<void> {
    await this.move(from, signal);
    await this.buttonDown("left", signal);
    try {
      await this.move(to, signal);
    } finally {
      await this.buttonUp("left");
    }
  }

  async keyPress(combo: Key[], signal?: AbortSignal): Promise<void> {
    await this.input(["keyboard", "key"], [combo.map((k) => k.name).join("+")], signal);
  }

  async keyDown(combo: Key[], signal?: AbortSignal): Promise<void> {
    // A key counts as held before its command returns: a command cancelled or
    // failed after the CLI pressed the key would otherwise leave it down.
    const held: Key[] = [];
    try {
      for (const k of combo) {
        held.push(k);
        await this.input(["keyboard", "down"], [k.name], signal);
      }
    } catch (err) {
      // A combo is held whole or not at all.
      await this.keyUp(held).catch(() => undefined);
      throw err;
    }
  }

  async keyUp(combo: Key[]): Promise<void> {
    // Release every key even if one release fails; report the first failure.
    let first: unknown;
    for (const k of [...combo].reverse()) await this.run(["keyboard", "up"], [k.name]).catch((err) => (first ??= err));
    if (first) throw first;
  }

  /** The CLI types at its own pace: its time limit grows with the text (TYPE_MS_PER_CHAR). */
  async type(text: string, signal?: AbortSignal): Promise<void> {
    const typing = () =>
      this.input(["keyboard", "type"], [text], signal, this.opts.limits.requestTimeoutMs + text.length * TYPE_MS_PER_CHAR);
    // Caps Lock would turn the typed letters' case: off while typing, then as it was (seen on the joined display only).
    const x = (await this.sessions.get()).x;
    if (!x || ((await x.pointer()).buttonMask & LOCK_MASK) === 0) return typing();
    // down and up, not `key`: the CLI's `key` clears modifiers (Caps Lock among them) around the key.
    const toggle = async (sig?: AbortSignal) => {
      await this.input(["keyboard", "down"], ["Caps_Lock"], sig);
      await this.run(["keyboard", "up"], ["Caps_Lock"]);
    };
    await toggle(signal);
    try {
      await typing();
    } finally {
      await toggle();
    }
  }

  /** Runs `fn` with `keys` held; they are released whatever `fn` does. */
  private async holding(keys: Key[], fn: () => Promise<unknown>, signal?: AbortSignal): Promise<void> {
    if (keys.length === 0) {
      await fn();
      return;
    }
    const held: Key[] = [];
    try {
      for (const k of keys) {
        held.push(k); // as in keyDown: released even if its command is cancelled
        await this.input(["keyboard", "down"], [k.name], signal);
      }
      await fn();
    } finally {
      await this.keyUp(held);
    }
  }

  async launchApplication(argv: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ pid: number }> {
    const env = { ...this.opts.env, ...opts.env };
    if (!findProgram(argv[0], env.PATH)) throw new NotFoundError(`${argv[0]}: no such program`);
    const s = await this.sessions.get();
    const app = spawnOnDisplay(argv, { display: s.display, env, cwd: opts.cwd ?? homedir(), logger: this.opts.logger });
    if (!app.pid) throw await notStarted(argv, app);
    s.apps.push(app);
    return { pid: app.pid };
  }

  /** The session's X display, joined for DAMAGE; windows cannot be read without it. */
  protected async windowConnection(): Promise<X11Connection> {
    const s = await this.sessions.get();
    if (!s.x)
      throw new UnimplementedError("windows: this portabledesktop session's X display cannot be joined (no CLI command lists windows)");
    return s.x;
  }

  protected async ownProcesses(): Promise<number[]> {
    const s = await this.sessions.get();
    return s.apps.map((a) => a.pid).filter((p): p is number => p !== undefined);
  }

  protected async clipboard(): Promise<Clipboard> {
    const s = await this.sessions.get();
    s.clipboard ??= Clipboard.connect(s.display, "", { requestTimeoutMs: this.opts.limits.requestTimeoutMs }).catch((err: Error) => {
      s.clipboard = undefined;
      throw new UnimplementedError(`clipboard: this portabledesktop session's X display cannot be joined (${err.message})`);
    });
    return s.clipboard;
  }

  async close(): Promise<void> {
    await this.sessions.close();
    await this.dir?.remove();
  }
}
