/**
 * The built-in backend: a desktop from Debian packages (Xvnc, openbox) driven
 * in process over X11 (XTEST input, GetImage frames). No process is spawned
 * per action or per screenshot.
 */
import type { Socket } from "node:net";
import { withDefaults } from "../defaults.js";
import type { CaptureOptions, Desktop, DisplayConfig, Frame, MouseButton, Recorder, RecordOptions } from "../desktop.js";
import { DesktopUnavailableError, NotFoundError } from "../errors.js";
import type { Point } from "../geometry.js";
import { drawPointer } from "../image.js";
import { CAPS_LOCK, type Key, keysymForCodePoint, LOCK_MASK } from "../keys.js";
import { desktopEnv, dialVnc, findProgram, notStarted } from "../process.js";
import { ChangeLog, type ScreenChanges } from "../screen-changes.js";
import { SessionKeeper } from "../session.js";
import { sleep } from "../sleep.js";
import { StallWatch } from "../stall.js";
import { Clipboard } from "../x11/clipboard.js";
import { X11Connection } from "../x11/connection.js";
import { watchDamage } from "../x11/damage-watch.js";
import { X11DesktopExtras } from "../x11/desktop-extras.js";
import {
  BUTTONS,
  type BuiltinOptions,
  DEFAULTS,
  MAPPING_GRACE_MS,
  MULTI_CLICK_GAP_MS,
  REPLACE_GRACE_MS,
  type Session,
  SHIFT_L,
  TYPE_BATCH,
  WHEEL,
} from "./options.js";
import { recordX11 } from "./record.js";
import { XServer } from "./xserver.js";

export { type BuiltinOptions, DEFAULTS } from "./options.js";

export class BuiltinDesktop extends X11DesktopExtras implements Desktop {
  readonly backend = "builtin";
  private readonly opts: typeof DEFAULTS & BuiltinOptions;
  private readonly sessions: SessionKeeper<Session>;

  constructor(options: BuiltinOptions) {
    super();
    this.opts = withDefaults(DEFAULTS, options);
    this.opts.env = desktopEnv(this.opts.env);
    this.sessions = new SessionKeeper<Session>(
      {
        launch: () => this.launch(),
        stop: (s, why) => this.stop(s, why),
        describe: (s) => ({ display: s.server.display }),
      },
      this.opts.logger,
    );
  }

  async start(): Promise<DisplayConfig> {
    const { x } = await this.sessions.get();
    return { native: { width: x.width, height: x.height }, backend: this.backend };
  }

  /**
   * How to join the running desktop as another X client (tests, diagnostics):
   * the display (":N"), its MIT-MAGIC-COOKIE-1 (latin1) and Xauthority file.
   */
  get x11Endpoint(): { display: string; cookie: string; xauthority: string } | undefined {
    const server = this.sessions.current()?.server;
    return server && { display: server.display, cookie: server.cookie, xauthority: server.xauthority };
  }

  /** Xvnc's RFB Unix socket (mode 0600) of the running desktop (benchmarks and diagnostics: the relay's baseline). */
  get vncSocketPath(): string | undefined {
    return this.sessions.current()?.server.vncSocket;
  }

  /** Process ids of the running desktop (for tests and diagnostics). */
  get pids(): number[] {
    return this.sessions.current()?.server.pids ?? [];
  }

  /** Xvnc, the X connection, openbox, then the `open` apps; the session is lost when Xvnc or the connection goes. */
  private async launch(): Promise<Session> {
    const log = this.opts.logger;
    const server = await XServer.start({
      geometry: this.opts.geometry,
      runtimeParent: this.opts.runtimeParent,
      env: this.opts.env,
      logger: log,
    });
    let x: X11Connection;
    let watcher: X11Connection;
    const xOpts = { part: `Xvnc (X display ${server.display})`, requestTimeoutMs: this.opts.limits.requestTimeoutMs };
    try {
      x = await X11Connection.connect(server.display, server.cookie, xOpts);
      watcher = await X11Connection.connect(server.display, server.cookie, xOpts).catch((err) => {
        x.close();
        throw err;
      });
    } catch (err) {
      await server.stop(REPLACE_GRACE_MS);
      throw new DesktopUnavailableError(`cannot connect to X display ${server.display}: ${(err as Error).message}`, { cause: err });
    }
    const changes = new ChangeLog({
      source: "damage",
      // Input handled by the server first, then every damage it caused delivered.
      sync: async () => {
        await x.sync();
        await watcher.sync();
      },
    });
    const session: Session = { server, x, watcher, changes, stall: new StallWatch() };
    x.onLost = (err) => this.sessions.lost(session, err.message);
    watcher.onLost = (err) => this.sessions.lost(session, err.message);
    try {
      await watchDamage(watcher, changes, log);
    } catch (err) {
      x.close();
      watcher.close();
      await server.stop(REPLACE_GRACE_MS);
      throw new DesktopUnavailableError(`X display ${server.display} has no DAMAGE extension: ${(err as Error).message}`, { cause: err });
    }
    x.onProtocolError = (err) => log.warn({ display: server.display, err: err.message }, "X protocol error");
    void server.exited.then(() => this.sessions.lost(session, "Xvnc exited"));
    // A stalled Xvnc fails calls at once (bounded requests); one stalled for
    // long is replaced without waiting for a call.
    session.stall.heartbeat(
      () => x.sync(),
      this.opts.limits.replaceAfterMs,
      (why) => this.sessions.replaceNow(session, `Xvnc ${why}`),
    );
    log.info({ display: server.display, shm: x.usesShm, spareKeycodes: x.keys.spareCount }, "X11 connected");
    // Apps start once openbox is up, so they get managed and focused; a
    // desktop without a window manager still works, so this only warns.
    const wmReady = await x.windowManagerReady(this.opts.windowManagerTimeoutMs, server.windowManagerExited).catch((err: Error) => {
      log.debug({ err: err.message }, "waiting for the window manager failed");
      return false;
    });
    if (!wmReady) log.warn({ display: server.display }, "window manager (openbox) did not come up; going on without it");
    for (const argv of this.opts.open) server.spawn(argv);
    log.info({ display: server.display, open: this.opts.open.map((a) => a.join(" ")) }, "desktop ready");
    return session;
  }

  /** At close, lent keycodes are given back first, so a client still connected sees the original keymap. */
  private async stop(s: Session, why: "replaced" | "closed"): Promise<void> {
    s.stall.stop();
    void s.clipboard?.then(
      (c) => c.close(),
      () => undefined,
    );
    if (why === "closed" && s.x.connected) await s.x.keys.restore().catch(() => undefined);
    s.x.close();
    s.watcher.close();
    await s.server.stop(why === "replaced" ? REPLACE_GRACE_MS : undefined);
  }

  private async x(): Promise<X11Connection> {
    return (await this.sessions.get()).x;
  }

  /**
   * The connection, once the server has answered a round trip and the call
   * is still wanted (X11Connection.readyForInput): input is sent right after,
   * never later. Releases skip this: a late release frees a key, it adds no
   * input.
   */
  private async ready(x: X11Connection, signal?: AbortSignal): Promise<X11Connection> {
    await x.readyForInput(signal);
    return x;
  }

  stalled(): string | undefined {
    return this.sessions.current()?.stall.stalled;
  }

  async screenChanges(): Promise<ScreenChanges> {
    return (await this.sessions.get()).changes;
  }

  async connectVnc(): Promise<Socket> {
    const { server } = await this.sessions.get();
    return dialVnc({ path: server.vncSocket });
  }

  /**
   * With `includeCursor`, a pointer image the server will not give (an X
   * error such as BadAccess) leaves the frame without it, saying why in
   * `cursorOmitted` (logged once per desktop), rather than failing the frame.
   */
  async capture(opts: CaptureOptions = {}): Promise<Frame> {
    const s = await this.sessions.get();
    const x = s.x;
    const region = opts.region ?? { x: 0, y: 0, width: x.width, height: x.height };
    let omitted: string | undefined;
    const sprite = opts.includeCursor
      ? x.cursorImage().catch((err: Error) => {
          if (err instanceof DesktopUnavailableError) throw err;
          omitted = `the pointer image could not be read: ${err.message}`;
          if (!s.cursorFailed)
            this.opts.logger.warn({ display: s.server.display, err: err.message }, "pointer image unavailable; frames go without it");
          s.cursorFailed = true;
          return undefined;
        })
      : undefined;
    const [frame, image] = await Promise.all([x.capture(region), sprite]);
    if (image) drawPointer(frame, image, region);
    return omitted ? { ...frame, cursorOmitted: omitted } : frame;
  }

  /** The running window manager's pid (for tests and diagnostics). */
  get windowManagerPid(): number | undefined {
    return this.sessions.current()?.server.windowManagerPid;
  }

  /** An `ffmpeg -f x11grab` recording of this display (src/desktop/builtin/record.ts). */
  async record(opts: RecordOptions): Promise<Recorder> {
    const s = await this.sessions.get();
    const { display, xauthority } = s.server;
    return recordX11({
      ...opts,
      ffmpeg: this.opts.ffmpeg,
      env: this.opts.env,
      display,
      xauthority,
      size: { width: s.x.width, height: s.x.height },
      logger: this.opts.logger,
    });
  }

  async cursorPosition(): Promise<Point> {
    const p = await (await this.x()).pointer();
    return { x: p.x, y: p.y };
  }

  async move(p: Point, signal?: AbortSignal): Promise<void> {
    (await this.ready(await this.x(), signal)).motion(p);
  }

  async click(button: MouseButton, count: number, at?: Point, modifiers: Key[] = [], signal?: AbortSignal): Promise<void> {
    const x = await this.x();
    // Resolve every keycode first: after the first press nothing may fail.
    const mods = await this.locate(x, modifiers);
    await this.ready(x, signal);
    if (at) x.motion(at);
    x.pressKeys(mods);
    try {
      for (let i = 0; i < count; i++) {
        if (i > 0) {
          // Each click of a double or triple click handled before the next (xdotool waits 100 ms).
          await sleep(MULTI_CLICK_GAP_MS, signal);
          await x.readyForInput(signal);
        }
        x.button(BUTTONS[button], true);
        x.button(BUTTONS[button], false);
      }
    } finally {
      x.releaseKeys(mods);
    }
  }

  async buttonDown(button: MouseButton, signal?: AbortSignal): Promise<void> {
    (await this.ready(await this.x(), signal)).button(BUTTONS[button], true);
  }

  async buttonUp(button: MouseButton): Promise<void> {
    (await this.x()).button(BUTTONS[button], false);
  }

  async scroll(at: Point | undefined, dx: number, dy: number, modifiers: Key[] = [], signal?: AbortSignal): Promise<void> {
    const x = await this.x();
    const mods = await this.locate(x, modifiers);
    await this.ready(x, signal);
    if (at) x.motion(at);
    x.pressKeys(mods);
    const notch = (button: number, n: number) => {
      for (let i = 0; i < n; i++) {
        x.button(button, true);
        x.button(button, false);
      }
    };
    notch(dy < 0 ? WHEEL.up : WHEEL.down, Math.abs(dy));
    notch(dx < 0 ? WHEEL.left : WHEEL.right, Math.abs(dx));
    x.releaseKeys(mods);
  }

  async drag(from: Point, to: Point, signal?: AbortSignal): Promise<void> {
    const x = await this.ready(await this.x(), signal);
    x.motion(from);
    x.button(1, true);
    // A midpoint lets toolkits that wait for motion past a threshold see a drag.
    x.motion({ x: Math.round((from.x + to.x) / 2), y: Math.round((from.y + to.y) / 2) });
    x.motion(to);
    x.button(1, false);
  }

  async keyPress(combo: Key[], signal?: AbortSignal): Promise<void> {
    const x = await this.x();
    const codes = await this.locate(x, combo, true);
    await this.ready(x, signal);
    x.pressKeys(codes);
    x.releaseKeys(codes);
  }

  async keyDown(combo: Key[], signal?: AbortSignal): Promise<void> {
    const x = await this.x();
    const codes = await this.locate(x, combo, true);
    await this.ready(x, signal);
    x.pressKeys(codes);
  }

  async keyUp(combo: Key[]): Promise<void> {
    const x = await this.x();
    x.releaseKeys(await this.locate(x, combo, true));
  }

  /**
   * Types `text` run by run (src/desktop/x11/keymap.ts): the keysyms of a run
   * are lent keycodes in one mapping change, clients get MAPPING_GRACE_MS to
   * re-read the mapping, then the run's keys go out, at most TYPE_BATCH
   * keys per answered round trip (so a stall strands at most one batch).
   */
  async type(text: string, signal?: AbortSignal): Promise<void> {
    const x = await this.x();
    // Caps Lock would turn the typed letters' case (X11 protocol, section 5): it is off while typing, then as it was.
    if (((await x.pointer()).buttonMask & LOCK_MASK) === 0) return this.typeRuns(x, text, signal);
    const caps = (await x.keys.resolve(CAPS_LOCK)).keycode;
    await x.readyForInput(signal);
    x.pressKeys([caps]);
    x.releaseKeys([caps]);
    try {
      await this.typeRuns(x, text, signal);
    } finally {
      // Like a release, it always goes out: the lock is left as the call found it.
      x.pressKeys([caps]);
      x.releaseKeys([caps]);
    }
  }

  private async typeRuns(x: X11Connection, text: string, signal?: AbortSignal): Promise<void> {
    const shift = await x.keys.resolve(SHIFT_L);
    const keysyms = [...text].map((ch) => keysymForCodePoint(ch.codePointAt(0) ?? 0));
    for (const run of x.keys.segments(keysyms)) {
      if (await x.keys.lend(run)) await sleep(MAPPING_GRACE_MS, signal);
      for (const [i, keysym] of run.entries()) {
        if (i % TYPE_BATCH === 0) await x.readyForInput(signal);
        const loc = x.keys.find(keysym);
        if (!loc) throw new Error(`keysym 0x${keysym.toString(16)} lost its keycode while typing`);
        if (loc.shift) x.key(shift.keycode, true);
        x.key(loc.keycode, true);
        x.key(loc.keycode, false);
        if (loc.shift) x.key(shift.keycode, false);
      }
    }
    await x.sync();
  }

  /**
   * Keycodes for keys in press order. With `addShift`, a key found only on the
   * shifted level ("exclam") gets Shift pressed before it.
   */
  private async locate(x: X11Connection, keys: Key[], addShift = false): Promise<number[]> {
    const out: number[] = [];
    if (await x.keys.lend([SHIFT_L, ...keys.map((k) => k.keysym)])) await sleep(MAPPING_GRACE_MS);
    const shift = await x.keys.resolve(SHIFT_L);
    for (const k of keys) {
      const loc = await x.keys.resolve(k.keysym);
      if (addShift && loc.shift && !out.includes(shift.keycode)) out.push(shift.keycode);
      out.push(loc.keycode);
    }
    return out;
  }

  protected windowConnection(): Promise<X11Connection> {
    return this.x();
  }

  async launchApplication(argv: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ pid: number }> {
    const env = { ...this.opts.env, ...opts.env };
    if (!findProgram(argv[0], env.PATH)) throw new NotFoundError(`${argv[0]}: no such program`);
    const { server } = await this.sessions.get();
    const app = server.spawn(argv, { cwd: opts.cwd, env: opts.env });
    if (!app.pid) throw await notStarted(argv, app);
    return { pid: app.pid };
  }

  protected async ownProcesses(): Promise<number[]> {
    return (await this.sessions.get()).server.groups;
  }

  protected async clipboard(): Promise<Clipboard> {
    const s = await this.sessions.get();
    const { display, cookie } = s.server;
    // A failed connection is not kept: the next call tries again.
    s.clipboard ??= Clipboard.connect(display, cookie, {
      part: `Xvnc (X display ${display})`,
      requestTimeoutMs: this.opts.limits.requestTimeoutMs,
    }).catch((err: Error) => {
      s.clipboard = undefined;
      throw err;
    });
    return s.clipboard;
  }

  close(): Promise<void> {
    return this.sessions.close();
  }
}
