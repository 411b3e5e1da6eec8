/**
 * The built-in backend: a desktop from Debian packages (Xvnc, openbox) driven
 * in process over X11 (XTEST input, GetImage frames). No process is spawned
 * per action or per screenshot.
 */
import { connect, type Socket } from "node:net";
import type { Logger } from "pino";
import type { CaptureOptions, Desktop, DisplayConfig, Frame, MouseButton, Recorder, RecordOptions } from "../desktop.js";
import { DesktopClosedError, DesktopUnavailableError } from "../errors.js";
import type { Point, Size } from "../geometry.js";
import { drawPointer } from "../image.js";
import { type Key, keysymForCodePoint } from "../keys.js";
import { recordX11 } from "./record.js";
import { X11Connection } from "./x11.js";
import { XServer } from "./xserver.js";

export interface BuiltinOptions {
  /** Native framebuffer size; 1920x1080 by default. */
  geometry?: Size;
  /** Applications to start inside the desktop (argv arrays). */
  open?: string[][];
  runtimeParent?: string;
  /** The ffmpeg binary recordings use; "ffmpeg" (PATH) by default. */
  ffmpeg?: string;
  /** How long to wait for openbox to finish starting before going on without it, ms; 10000. */
  windowManagerTimeoutMs?: number;
  logger: Logger;
}

const BUTTONS: Record<MouseButton, number> = { left: 1, middle: 2, right: 3 };
// X core buttons for wheel notches.
const WHEEL = { up: 4, down: 5, left: 6, right: 7 };
const SHIFT_L = 0xffe1;

interface Session {
  server: XServer;
  x: X11Connection;
  alive: boolean;
}

export class BuiltinDesktop implements Desktop {
  readonly backend = "builtin";
  private session?: Session;
  private starting?: Promise<Session>;
  private closed = false;
  private readonly geometry: Size;

  constructor(private readonly opts: BuiltinOptions) {
    this.geometry = opts.geometry ?? { width: 1920, height: 1080 };
  }

  async start(): Promise<DisplayConfig> {
    const s = await this.ensure();
    return { native: { width: s.x.width, height: s.x.height }, backend: this.backend };
  }

  /**
   * How to join the running desktop as another X client (tests, diagnostics):
   * the display (":N"), its MIT-MAGIC-COOKIE-1 (latin1) and Xauthority file.
   */
  get x11Endpoint(): { display: string; cookie: string; xauthority: string } | undefined {
    const s = this.session;
    return s?.alive ? { display: s.server.display, cookie: s.server.cookie, xauthority: s.server.xauthority } : undefined;
  }

  /** Process ids of the running desktop (for tests and diagnostics). */
  get pids(): number[] {
    return this.session?.alive ? this.session.server.pids : [];
  }

  private ensure(): Promise<Session> {
    if (this.closed) return Promise.reject(new DesktopClosedError());
    if (this.session?.alive) return Promise.resolve(this.session);
    this.starting ??= this.launch().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async launch(): Promise<Session> {
    const log = this.opts.logger;
    if (this.session) {
      log.warn({ display: this.session.server.display }, "desktop died; starting a new one");
      await this.session.server.stop(500);
      this.session = undefined;
    }
    const server = await XServer.start({ geometry: this.geometry, runtimeParent: this.opts.runtimeParent, logger: log });
    let x: X11Connection;
    try {
      x = await X11Connection.connect(server.display, server.cookie);
    } catch (err) {
      await server.stop(500);
      throw new DesktopUnavailableError(`cannot connect to X display ${server.display}: ${(err as Error).message}`, { cause: err });
    }
    const session: Session = { server, x, alive: true };
    const die = (why: string) => {
      if (!session.alive) return;
      session.alive = false;
      x.close();
      log.warn({ display: server.display, why }, "desktop lost");
    };
    x.onLost = (err) => die(err.message);
    x.onProtocolError = (err) => log.warn({ display: server.display, err: err.message }, "X protocol error");
    server.exited.then(() => die("Xvnc exited"));
    log.info({ display: server.display, shm: x.usesShm, spareKeycodes: x.keys.spareCount }, "X11 connected");
    // Apps start once openbox is up, so they get managed and focused; a
    // desktop without a window manager still works, so this only warns.
    const wmReady = await x.windowManagerReady(this.opts.windowManagerTimeoutMs ?? 10_000, server.windowManagerExited).catch(() => false);
    if (!wmReady) log.warn({ display: server.display }, "window manager (openbox) did not come up; going on without it");
    for (const argv of this.opts.open ?? []) void server.spawn(argv);
    log.info({ display: server.display, open: (this.opts.open ?? []).map((a) => a.join(" ")) }, "desktop ready");
    if (this.closed) {
      session.alive = false;
      x.close();
      await server.stop();
      throw new DesktopClosedError();
    }
    this.session = session;
    return session;
  }

  private async x(): Promise<X11Connection> {
    return (await this.ensure()).x;
  }

  async connectVnc(): Promise<Socket> {
    const s = await this.ensure();
    return new Promise((resolve, reject) => {
      const sock = connect(s.server.vncSocket);
      sock.once("connect", () => {
        sock.off("error", reject);
        resolve(sock);
      });
      sock.once("error", (err) => reject(new DesktopUnavailableError(`cannot reach VNC server: ${err.message}`, { cause: err })));
    });
  }

  async capture(opts: CaptureOptions = {}): Promise<Frame> {
    const x = await this.x();
    const region = opts.region ?? { x: 0, y: 0, width: x.width, height: x.height };
    const [frame, sprite] = await Promise.all([x.capture(region), opts.includeCursor ? x.cursorImage() : undefined]);
    if (sprite) drawPointer(frame, sprite, region);
    return frame;
  }

  /** An `ffmpeg -f x11grab` recording of this display (src/desktop/builtin/record.ts). */
  async record(opts: RecordOptions): Promise<Recorder> {
    const s = await this.ensure();
    const { display, xauthority } = s.server;
    return recordX11({
      ...opts,
      ffmpeg: this.opts.ffmpeg,
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

  async move(p: Point): Promise<void> {
    (await this.x()).motion(p);
  }

  async click(button: MouseButton, count: number, at?: Point, modifiers: Key[] = []): Promise<void> {
    const x = await this.x();
    // Resolve every keycode first: after the first press nothing may fail.
    const mods = await this.locate(x, modifiers);
    if (at) x.motion(at);
    mods.forEach((k) => x.key(k, true));
    for (let i = 0; i < count; i++) {
      x.button(BUTTONS[button], true);
      x.button(BUTTONS[button], false);
    }
    mods.reverse().forEach((k) => x.key(k, false));
  }

  async buttonDown(button: MouseButton): Promise<void> {
    (await this.x()).button(BUTTONS[button], true);
  }

  async buttonUp(button: MouseButton): Promise<void> {
    (await this.x()).button(BUTTONS[button], false);
  }

  async scroll(at: Point | undefined, dx: number, dy: number, modifiers: Key[] = []): Promise<void> {
    const x = await this.x();
    const mods = await this.locate(x, modifiers);
    if (at) x.motion(at);
    mods.forEach((k) => x.key(k, true));
    const notch = (button: number, n: number) => {
      for (let i = 0; i < n; i++) {
        x.button(button, true);
        x.button(button, false);
      }
    };
    notch(dy < 0 ? WHEEL.up : WHEEL.down, Math.abs(dy));
    notch(dx < 0 ? WHEEL.left : WHEEL.right, Math.abs(dx));
    mods.reverse().forEach((k) => x.key(k, false));
  }

  async drag(from: Point, to: Point): Promise<void> {
    const x = await this.x();
    x.motion(from);
    x.button(1, true);
    // A midpoint lets toolkits that wait for motion past a threshold see a drag.
    x.motion({ x: Math.round((from.x + to.x) / 2), y: Math.round((from.y + to.y) / 2) });
    x.motion(to);
    x.button(1, false);
  }

  async keyPress(combo: Key[]): Promise<void> {
    const x = await this.x();
    const codes = await this.locate(x, combo, true);
    codes.forEach((k) => x.key(k, true));
    codes.reverse().forEach((k) => x.key(k, false));
  }

  async keyDown(combo: Key[]): Promise<void> {
    const x = await this.x();
    (await this.locate(x, combo, true)).forEach((k) => x.key(k, true));
  }

  async keyUp(combo: Key[]): Promise<void> {
    const x = await this.x();
    (await this.locate(x, combo, true)).reverse().forEach((k) => x.key(k, false));
  }

  async type(text: string, signal?: AbortSignal): Promise<void> {
    const x = await this.x();
    const shift = await x.keys.resolve(SHIFT_L);
    for (const ch of text) {
      signal?.throwIfAborted();
      const loc = await x.keys.resolve(keysymForCodePoint(ch.codePointAt(0)!));
      if (loc.shift) x.key(shift.keycode, true);
      x.key(loc.keycode, true);
      x.key(loc.keycode, false);
      if (loc.shift) x.key(shift.keycode, false);
    }
    await x.sync();
  }

  /**
   * Keycodes for keys in press order. With `addShift`, a key found only on the
   * shifted level ("exclam") gets Shift pressed before it.
   */
  private async locate(x: X11Connection, keys: Key[], addShift = false): Promise<number[]> {
    const out: number[] = [];
    const shift = await x.keys.resolve(SHIFT_L);
    for (const k of keys) {
      const loc = await x.keys.resolve(k.keysym);
      if (addShift && loc.shift && !out.includes(shift.keycode)) out.push(shift.keycode);
      out.push(loc.keycode);
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.starting?.catch(() => undefined);
    const s = this.session;
    this.session = undefined;
    if (!s) return;
    if (s.alive) await s.x.keys.restore().catch(() => undefined);
    s.alive = false;
    s.x.close();
    await s.server.stop();
  }
}
