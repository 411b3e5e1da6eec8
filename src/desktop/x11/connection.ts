/**
 * A promise-based view of one in-process X11 connection (the `x11` package):
 * XTEST for input, GetImage (MIT-SHM when usable) for frames, XFixes for the
 * cursor image. No process is spawned here; every call is protocol requests on
 * one Unix socket.
 */
import x11, {
  type Callback,
  type CursorImage,
  type Damage,
  type DamageNotify,
  type Display,
  type PointerReply,
  type Shm,
  type ShmSegment,
  type XClient,
  type XEvent,
  type XFixes,
  type XTest,
} from "x11";
import type { Frame } from "../desktop.js";
import { DesktopUnavailableError } from "../errors.js";
import type { Point, Rect } from "../geometry.js";
import type { PointerSprite } from "../image.js";
import { sleep } from "../sleep.js";
import { bounded, STALL_DEFAULTS } from "../stall.js";
import { bgrxToRgb } from "./bgrx.js";
import { Keymap } from "./keymap.js";

// XTEST FakeInput event types (XTEST spec, section 2).
const KEY_PRESS = 2;
const KEY_RELEASE = 3;
const BUTTON_PRESS = 4;
const BUTTON_RELEASE = 5;
const MOTION_NOTIFY = 6;
const Z_PIXMAP = 2;
const ALL_PLANES = 0xffffffff;

/** A callback-style x11 request as a promise: `call((cb) => X.Request(..., cb))`. */
export function call<T>(send: (cb: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    send((err, res) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(res)));
  });
}

export class X11Connection {
  readonly width: number;
  readonly height: number;
  readonly root: number;
  private readonly X: XClient;
  private xtest!: XTest;
  private fixes?: XFixes;
  private shmSegment?: ShmSegment;
  private keymap!: Keymap;
  private closed = false;
  private captureChain: Promise<unknown> = Promise.resolve();
  /**
   * Rejecters of the requests awaiting a reply, failed at once if the
   * connection is lost (their replies would never come). A set, not a race
   * against one never-settling promise: each race would leave a reaction on
   * it for the connection's lifetime.
   */
  private readonly pending = new Set<(err: Error) => void>();
  private readonly atomCache = new Map<string, number>();
  /** Called once if the connection to the server is lost. */
  onLost: (err: Error) => void = () => {};
  /** Called for an X protocol error on a request that has no reply (XTEST input, ChangeKeyboardMapping). */
  onProtocolError: (err: Error) => void = () => {};

  private constructor(
    private readonly display: Display,
    private readonly limits: { part: string; requestTimeoutMs: number },
  ) {
    this.X = display.client;
    const screen = display.screen[0];
    this.root = screen.root;
    this.width = screen.pixel_width;
    this.height = screen.pixel_height;
    const lost = (err: Error) => {
      if (this.closed) return;
      this.closed = true;
      const why = new DesktopUnavailableError(`X server connection lost: ${err.message}`, { cause: err });
      for (const fail of this.pending) fail(why);
      this.pending.clear();
      this.onLost(err);
    };
    // A protocol error (it has an X error code) for a request without a
    // callback is reported, not fatal; anything else is the socket failing.
    this.X.on("error", (err: Error & { error?: number }) => (typeof err.error === "number" ? this.onProtocolError(err) : lost(err)));
    // The x11 package keeps interned atoms in one object shared by every
    // connection in the process; atom ids are per server, so this connection
    // starts from the predefined atoms only (1..68, X11 protocol, section 10).
    const own = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).filter(([, v]) => v <= 68));
    this.X.atoms = own(this.X.atoms);
    this.X.atom_names = Object.fromEntries(Object.entries(this.X.atoms).map(([k, v]) => [v, k]));
    this.X.on("end", () => lost(new Error("X server connection closed")));
  }

  /**
   * Connects to `display` (":N") with an MIT-MAGIC-COOKIE-1 `cookie` (latin1
   * string), loads XTEST (required), XFixes and MIT-SHM (optional). Every
   * request with a reply fails with DesktopStalledError (UNAVAILABLE) naming
   * `opts.part` when the server has not answered within
   * `opts.requestTimeoutMs` (5000 ms by default).
   */
  static async connect(display: string, cookie: string, opts: { part?: string; requestTimeoutMs?: number } = {}): Promise<X11Connection> {
    const limits = { part: opts.part ?? `X server ${display}`, requestTimeoutMs: opts.requestTimeoutMs ?? STALL_DEFAULTS.requestTimeoutMs };
    const connecting = new Promise<Display>((resolve, reject) => {
      const client = x11.createClient({ display, auth: { name: "MIT-MAGIC-COOKIE-1", data: cookie } }, (err, dpy) =>
        err ? reject(err) : resolve(dpy),
      );
      client.once("error", reject);
    });
    // A connection that finishes after the limit is closed, not leaked.
    let timedOut = false;
    connecting.then(
      (late) => timedOut && late.client.terminate(),
      () => undefined,
    );
    const d = await bounded(connecting, limits.part, limits.requestTimeoutMs).catch((err) => {
      timedOut = true;
      throw err;
    });
    const conn = new X11Connection(d, limits);
    await conn.init();
    return conn;
  }

  private async init(): Promise<void> {
    const X = this.X;
    this.xtest = await this.request<XTest>((cb) => X.require("xtest", cb));
    const fixes = await this.request<XFixes>((cb) => X.require("fixes", cb)).catch(() => undefined);
    if (fixes) await this.request((cb) => fixes.QueryVersion(5, 0, cb)).catch(() => undefined);
    this.fixes = fixes;
    const shm = await this.request<Shm>((cb) => X.require("shm", cb)).catch(() => undefined);
    if (shm && (await this.request<boolean>((cb) => shm.usable(cb)).catch(() => false))) {
      this.shmSegment = await this.request<ShmSegment>((cb) => shm.createSegment(this.width * this.height * 4, cb)).catch(() => undefined);
    }
    const min = this.display.min_keycode;
    const rows = await this.request<number[][]>((cb) => X.GetKeyboardMapping(min, this.display.max_keycode - min + 1, cb));
    this.keymap = new Keymap(min, rows, {
      changeMapping: async (first, rows) => {
        X.ChangeKeyboardMapping(first, rows[0].length, rows.flat());
        await this.sync();
      },
    });
  }

  /** A request with a reply; fails instead of hanging if the server goes away or stalls. */
  private request<T>(send: (cb: Callback<T>) => void): Promise<T> {
    if (this.closed) return Promise.reject(new DesktopUnavailableError("X server connection closed"));
    const reply = new Promise<T>((resolve, reject) => {
      this.pending.add(reject);
      send((err, res) => {
        this.pending.delete(reject);
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else resolve(res);
      });
    });
    return bounded(reply, this.limits.part, this.limits.requestTimeoutMs);
  }

  /**
   * A request with a reply on the underlying client, bounded like every
   * other (for modules built on this connection: src/desktop/x11/windows.ts).
   */
  call<T>(send: (X: XClient, cb: Callback<T>) => void): Promise<T> {
    return this.request((cb) => send(this.X, cb));
  }

  /** A request without a reply on the underlying client. */
  send(fn: (X: XClient) => void): void {
    if (!this.closed) fn(this.X);
  }

  /** Calls `listener` with every event this connection receives (events are per client: a module that selects some should own its connection). */
  onEvent(listener: (ev: XEvent) => void): void {
    this.X.on("event", listener);
  }

  /** The atom for `name` on this server (interned once per connection). */
  async atom(name: string): Promise<number> {
    let a = this.atomCache.get(name);
    if (a === undefined) {
      a = await this.request<number>((cb) => this.X.InternAtom(false, name, cb));
      this.atomCache.set(name, a);
    }
    return a;
  }

  /** False once closed or lost. */
  get connected(): boolean {
    return !this.closed;
  }

  get usesShm(): boolean {
    return this.shmSegment !== undefined;
  }

  get keys(): Keymap {
    return this.keymap;
  }

  /** A round trip: every request sent before it has been processed. */
  async sync(): Promise<void> {
    await this.request((cb) => this.X.GetInputFocus(cb));
  }

  /**
   * Call before sending input: a round trip answered within the limit (so the
   * input goes out to a server that is handling requests now, not into the
   * socket of a stopped one that would carry it out when it resumes), and the
   * call still wanted. Throws DesktopStalledError, or `signal.reason` as soon
   * as `signal` aborts.
   */
  async readyForInput(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const synced = this.sync();
    if (signal) {
      let onAbort!: () => void;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
      });
      synced.catch(() => undefined);
      try {
        await Promise.race([synced, aborted]);
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    } else await synced;
    signal?.throwIfAborted();
  }

  /**
   * Resolves true once a window manager has finished starting: it has
   * announced itself (EWMH `_NET_SUPPORTING_WM_CHECK` on the root window) and
   * taken the input focus away from the server's initial PointerRoot (openbox
   * focuses its own support window as the last step of its startup). Resolves
   * false after `timeoutMs` or when `gaveUp` settles (the WM exited).
   *
   * Why: a window focused before openbox finishes starting loses the focus to
   * it, so applications opened too early start unfocused.
   */
  async windowManagerReady(timeoutMs: number, gaveUp: Promise<unknown>): Promise<boolean> {
    const X = this.X;
    const atom = await this.request<number>((cb) => X.InternAtom(false, "_NET_SUPPORTING_WM_CHECK", cb));
    let over = false;
    const timer = setTimeout(() => (over = true), timeoutMs);
    void gaveUp.then(() => (over = true));
    try {
      while (!over) {
        const prop = await this.request<{ data?: Buffer }>((cb) => X.GetProperty(0, this.root, atom, 0, 0, 1, cb));
        const focus = await this.request<{ focus: number }>((cb) => X.GetInputFocus(cb));
        // Focus 0 is None, 1 is PointerRoot.
        if ((prop.data?.length ?? 0) >= 4 && focus.focus > 1) return true;
        await sleep(10);
      }
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async pointer(): Promise<Point & { buttonMask: number }> {
    const p = await this.request<PointerReply>((cb) => this.X.QueryPointer(this.root, cb));
    return { x: p.rootX, y: p.rootY, buttonMask: p.keyMask };
  }

  motion(p: Point): void {
    this.xtest.FakeInput(MOTION_NOTIFY, 0, 0, this.root, p.x, p.y);
  }

  button(button: number, down: boolean): void {
    this.xtest.FakeInput(down ? BUTTON_PRESS : BUTTON_RELEASE, button, 0, this.root, 0, 0);
  }

  key(keycode: number, down: boolean): void {
    this.xtest.FakeInput(down ? KEY_PRESS : KEY_RELEASE, keycode, 0, this.root, 0, 0);
  }

  /** Presses `keycodes` in order. */
  pressKeys(keycodes: number[]): void {
    for (const k of keycodes) this.key(k, true);
  }

  /** Releases `keycodes` in reverse order: the last pressed goes first. */
  releaseKeys(keycodes: number[]): void {
    for (const k of [...keycodes].reverse()) this.key(k, false);
  }

  /**
   * Reads a native-pixel region as RGB (3 channels). Captures are serialised:
   * the one SHM segment is reused for every frame.
   */
  capture(region: Rect): Promise<Frame> {
    return this.serialised(async () => {
      const bgrx = await this.readRegion(region);
      return {
        data: bgrxToRgb(bgrx, region.width * region.height),
        width: region.width,
        height: region.height,
        channels: 3,
        capturedAt: new Date(),
      };
    });
  }

  /**
   * Reads a native-pixel region as the X server holds it (4 bytes per pixel:
   * ZPixmap, 32 bits per pixel, rows packed) and gives it to `use`, whose
   * result this resolves to. The pixels may be the SHM segment itself, valid
   * only during `use`: copy what must outlive it. No buffer per read.
   */
  readRaw<T>(region: Rect, use: (pixels: Buffer) => T): Promise<T> {
    return this.serialised(async () => use(await this.readRegion(region)));
  }

  private serialised<T>(read: () => Promise<T>): Promise<T> {
    const run = this.captureChain.then(read);
    // The chain must not hold the last result: a frame is megabytes.
    this.captureChain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** The region's pixels; an SHM view is valid until the next read. */
  private async readRegion(r: Rect): Promise<Buffer> {
    const seg = this.shmSegment;
    if (seg) {
      const rep = await this.request<{ size: number }>((cb) =>
        seg.getImage(this.root, r.x, r.y, r.width, r.height, ALL_PLANES, Z_PIXMAP, 0, cb),
      );
      return seg.buffer.subarray(0, rep.size);
    }
    const img = await this.request<{ data: Buffer }>((cb) =>
      this.X.GetImage(Z_PIXMAP, this.root, r.x, r.y, r.width, r.height, ALL_PLANES, cb),
    );
    return img.data;
  }

  /**
   * Reports the areas drawn on the screen from now on (X DAMAGE on the root
   * window, DeltaRectangles level): `onDamage` gets native-pixel rectangles.
   * The damage is emptied once per event-loop turn, so later drawing is
   * reported again; requests sent after that turn see every earlier drawing.
   * Rejects when the server has no DAMAGE.
   */
  async watchDamage(onDamage: (area: Rect) => void): Promise<void> {
    const damage = await this.request<Damage>((cb) => this.X.require("damage", cb));
    const id = this.X.AllocID();
    damage.Create(id, this.root, damage.ReportLevel.DeltaRectangles);
    let emptying = false;
    this.X.on("event", (ev: XEvent | DamageNotify) => {
      if (ev.name !== "DamageNotify" || !("damage" in ev) || ev.damage !== id) return;
      onDamage({ x: ev.area.x, y: ev.area.y, width: ev.area.w, height: ev.area.h });
      if (emptying) return;
      emptying = true;
      setImmediate(() => {
        emptying = false;
        if (!this.closed) damage.Subtract(id, 0, 0);
      });
    });
  }

  /**
   * The displayed pointer image (XFixes GetCursorImage, premultiplied ARGB32)
   * as straight-alpha RGBA placed at its hotspot; undefined without XFixes.
   */
  async cursorImage(): Promise<PointerSprite | undefined> {
    const fixes = this.fixes;
    if (!fixes) return undefined;
    const c = await this.request<CursorImage>((cb) => fixes.GetCursorImage(cb));
    const rgba = Buffer.alloc(c.width * c.height * 4);
    const src: Buffer = c.cursorImage;
    for (let i = 0; i < c.width * c.height; i++) {
      const argb = src.readUInt32LE(i * 4);
      const a = argb >>> 24;
      // Un-premultiply so sharp can composite straight alpha.
      const un = (v: number) => (a === 0 ? 0 : Math.min(255, Math.round((v * 255) / a)));
      rgba[i * 4] = un((argb >>> 16) & 0xff);
      rgba[i * 4 + 1] = un((argb >>> 8) & 0xff);
      rgba[i * 4 + 2] = un(argb & 0xff);
      rgba[i * 4 + 3] = a;
    }
    return { x: c.x - c.xhot, y: c.y - c.yhot, width: c.width, height: c.height, rgba };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.X.terminate();
    } catch {
      // already gone
    }
  }
}
