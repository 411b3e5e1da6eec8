/**
 * A promise-based view of one in-process X11 connection (the `x11` package):
 * requests bounded in time (a stalled server fails them, it never hangs
 * them), atoms, round trips, the pointer and the keyboard mapping. What is
 * built on it lives beside it: XTEST input (xtest.ts), frames (capture.ts),
 * DAMAGE (screen-mirror.ts), EWMH windows (windows.ts), selections
 * (clipboard.ts). No process is spawned here; every call is protocol
 * requests on one Unix socket.
 */
import x11, { type Callback, type Display, type Extensions, type PointerReply, type XClient, type XEvent } from "x11";
import { abortable } from "../../os/sleep.js";
import { DesktopUnavailableError } from "../errors.js";
import type { Point } from "../geometry.js";
import { bounded, STALL_DEFAULTS } from "../stall.js";
import { Keymap } from "./keymap.js";

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
  private keymap!: Keymap;
  /** The keyboard and modifier mappings at connect, for restoreKeyboard. */
  private original!: { rows: number[][]; modifiers: number[][] };
  private closed = false;
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
    /** The connection's setup: screens, keycode range. */
    readonly display: Display,
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
   * string; "" when the server takes none) and reads the keyboard mapping. Every
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
    const min = this.display.min_keycode;
    const [rows, modifiers] = await Promise.all([
      this.request<number[][]>((cb) => X.GetKeyboardMapping(min, this.display.max_keycode - min + 1, cb)),
      this.request<number[][]>((cb) => X.GetModifierMapping(cb)),
    ]);
    this.original = { rows, modifiers };
    this.keymap = this.newKeymap(rows);
  }

  private newKeymap(rows: number[][]): Keymap {
    return new Keymap(this.display.min_keycode, rows, {
      changeMapping: async (first, rows) => {
        this.X.ChangeKeyboardMapping(first, rows[0].length, rows.flat());
        await this.sync();
      },
    });
  }

  /**
   * Puts back the keyboard and modifier mappings this connection found at
   * connect (what a program changed with xmodmap, say, and every lent
   * keycode), in one change each and only where they differ. Keys must be up
   * (SetModifierMapping is refused while a key of a changed modifier is
   * down). Resolves with what was restored.
   */
  async restoreKeyboard(): Promise<{ keyboard: boolean; modifiers: boolean }> {
    const X = this.X;
    const min = this.display.min_keycode;
    const { rows, modifiers } = this.original;
    const [now, mods] = await Promise.all([
      this.request<number[][]>((cb) => X.GetKeyboardMapping(min, rows.length, cb)),
      this.request<number[][]>((cb) => X.GetModifierMapping(cb)),
    ]);
    const same = (a: number[][], b: number[][]) => JSON.stringify(a) === JSON.stringify(b);
    const keyboard = !same(now, rows);
    if (keyboard) X.ChangeKeyboardMapping(min, rows[0].length, rows.flat());
    const modified = !same(mods, modifiers);
    if (modified) {
      const status = await this.request<number>((cb) => X.SetModifierMapping(modifiers, cb));
      if (status !== 0) throw new Error(`SetModifierMapping answered ${status === 1 ? "Busy" : "Failed"}`);
    }
    await this.sync();
    this.keymap = this.newKeymap(rows);
    return { keyboard, modifiers: modified };
  }

  /** The first XID of this connection's range (X-Resource lists clients by it). */
  get resourceBase(): number {
    return this.display.resource_base;
  }

  /** Extension `name` of the `x11` package (cached per connection), bounded like every request. */
  extension<K extends keyof Extensions>(name: K): Promise<Extensions[K]> {
    return this.request<Extensions[K]>((cb) => this.X.require(name, cb));
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
    await abortable(this.sync(), signal);
    signal?.throwIfAborted();
  }

  async pointer(): Promise<Point & { buttonMask: number }> {
    const p = await this.request<PointerReply>((cb) => this.X.QueryPointer(this.root, cb));
    return { x: p.rootX, y: p.rootY, buttonMask: p.keyMask };
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
