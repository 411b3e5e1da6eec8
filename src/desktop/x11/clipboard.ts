/**
 * The clipboard in process: UTF-8 text on the CLIPBOARD or PRIMARY selection,
 * served by owning the selection from a window of our own and answering
 * other clients' requests, and read by asking the owner to convert it
 * (ICCCM, section 2, "Peer-to-Peer Communication by Means of Selections":
 * https://x.org/releases/X11R7.7/doc/xorg-docs/icccm/icccm.html). Text over
 * INCR_THRESHOLD bytes moves in INCR chunks both ways (section 2.7.2), as
 * one X request holds at most 256 KiB.
 *
 * A read is bounded as a whole: READ_TIMEOUT_MS for every step and INCR
 * chunk together (an owner that sends 1 KiB every 2.5 s cannot hold a read
 * for 30 s), or less when the caller's signal aborts first, and nothing more
 * is asked of the owner after that. Reads at once each use a property of
 * their own, so concurrent reads never take each other's chunks; the
 * property of a read given up on is never used again (a slow owner may
 * still write to it).
 *
 * Errors: DesktopUnavailableError when the selection cannot be taken or the
 * owner does not hand over its text in READ_TIMEOUT_MS; ResourceExhaustedError
 * when an owner offers more than MAX_CLIPBOARD_BYTES; the signal's reason
 * when it aborts.
 */
import type { XEvent } from "x11";
import { sleep } from "../../os/sleep.js";
import { type ClipboardControl, MAX_CLIPBOARD_BYTES, type SelectionName } from "../desktop.js";
import { DesktopUnavailableError, ResourceExhaustedError } from "../errors.js";
import { parseCombo } from "../keys.js";
import { X11Connection } from "./connection.js";

/** What pastes the CLIPBOARD in most apps. */
export const PASTE_KEYS = parseCombo("ctrl+v", "paste");

/** Text larger than this is sent in INCR chunks, bytes. */
const INCR_THRESHOLD = 128 * 1024;
const INCR_CHUNK = 64 * 1024;
/** Time an app gets to fetch pasted text before the previous clipboard is put back, ms. */
const PASTE_WAIT_MS = 1000;
/** Time a whole read may take (the owner's answer and every INCR chunk), ms. */
export const READ_TIMEOUT_MS = 3000;
/** Reads that may run at once, each with its own property. */
const READ_SLOTS = 4;
const PROPERTY_CHANGE_MASK = 0x400000;
const ANY_PROPERTY_TYPE = 0;
const PROPERTY_NEW_VALUE = 0;
const PROPERTY_DELETED = 1;
const ATOM_TYPE = 4;

const ATOM_NAMES = ["CLIPBOARD", "PRIMARY", "TARGETS", "UTF8_STRING", "STRING", "TEXT", "INCR", "text/plain;charset=utf-8"] as const;
type Atoms = Record<(typeof ATOM_NAMES)[number], number>;

interface Outgoing {
  data: Buffer;
  type: number;
  offset: number;
}

type SelectionEvent = XEvent & {
  name: string;
  wid?: number;
  atom?: number;
  state?: number;
  time?: number;
  owner?: number;
  requestor?: number;
  selection?: number;
  target?: number;
  property?: number;
};

export class Clipboard implements ClipboardControl {
  /** What we own, by selection atom: UTF-8 bytes. */
  private readonly owned = new Map<number, Buffer>();
  /** INCR transfers to other clients, by "requestor:property". */
  private readonly outgoing = new Map<string, Outgoing>();
  private readonly waiters = new Set<(ev: SelectionEvent) => boolean>();
  /** Called after each request for text we own is answered, with its selection atom. */
  private readonly served = new Set<(selection: number) => void>();
  /** Properties free for a read, and the reads waiting for one. */
  private readonly slots: number[] = [];
  private readonly slotWaiters: ((property: number) => void)[] = [];
  /** Properties made so far (their names: DESKTOPD_SELECTION_<n>). */
  private madeSlots = 0;

  private constructor(
    private readonly x: X11Connection,
    private readonly window: number,
    private readonly atoms: Atoms,
  ) {
    x.onEvent((ev) => this.onEvent(ev as SelectionEvent));
  }

  /** A clipboard on a connection of its own to `display` (events are per client). `close()` closes it. */
  static async connect(display: string, cookie: string, opts: { part?: string; requestTimeoutMs?: number } = {}): Promise<Clipboard> {
    const x = await X11Connection.connect(display, cookie, opts);
    return Clipboard.open(x).catch((err) => {
      x.close();
      throw err;
    });
  }

  /** A clipboard on `x` (which it then owns), with an unmapped window to own selections from. */
  static async open(x: X11Connection): Promise<Clipboard> {
    const atoms = Object.fromEntries(await Promise.all(ATOM_NAMES.map(async (n) => [n, await x.atom(n)]))) as Atoms;
    let window = 0;
    x.send((X) => {
      window = X.AllocID();
      X.CreateWindow(window, x.root, 0, 0, 1, 1, 0, 0, 0, 0, { eventMask: PROPERTY_CHANGE_MASK });
    });
    await x.sync();
    return new Clipboard(x, window, atoms);
  }

  /** Takes `selection` with `text` (UTF-8, at most MAX_CLIPBOARD_BYTES; the caller checks). */
  async set(text: string, selection: SelectionName = "CLIPBOARD"): Promise<void> {
    const sel = this.atoms[selection];
    this.owned.set(sel, Buffer.from(text, "utf8"));
    this.x.send((X) => X.SetSelectionOwner(this.window, sel, 0));
    const owner = await this.x.call<number>((X, cb) => X.GetSelectionOwner(sel, cb));
    if (owner !== this.window) {
      this.owned.delete(sel);
      throw new DesktopUnavailableError(`could not take the ${selection} selection`);
    }
  }

  /**
   * The text on `selection`: ours, or converted from its owner; "" when
   * nobody owns it or it holds no text. Bounded as the module comment says.
   */
  async get(selection: SelectionName = "CLIPBOARD", signal?: AbortSignal): Promise<string> {
    const sel = this.atoms[selection];
    const owner = await this.x.call<number>((X, cb) => X.GetSelectionOwner(sel, cb));
    if (owner === this.window) return this.owned.get(sel)?.toString("utf8") ?? "";
    if (owner === 0) return "";
    const timer = new AbortController();
    const timeout = setTimeout(
      () => timer.abort(new DesktopUnavailableError(`the ${selection} owner did not hand over its text within ${READ_TIMEOUT_MS} ms`)),
      READ_TIMEOUT_MS,
    );
    const stop = signal ? AbortSignal.any([signal, timer.signal]) : timer.signal;
    let prop: number | undefined;
    let clean = false;
    try {
      prop = await this.slot(stop);
      for (const target of [this.atoms.UTF8_STRING, this.atoms.STRING]) {
        const text = await this.convert(sel, target, selection, prop, stop);
        if (text !== undefined) {
          clean = true;
          return text;
        }
      }
      clean = true;
      return "";
    } finally {
      clearTimeout(timeout);
      if (prop !== undefined) this.release(prop, clean);
    }
  }

  /** A property for one read: a free one, or the next to come free; rejects when `stop` aborts. */
  private async slot(stop: AbortSignal): Promise<number> {
    const free = this.slots.pop();
    if (free !== undefined) return free;
    if (this.madeSlots < READ_SLOTS) return this.x.atom(`DESKTOPD_SELECTION_${this.madeSlots++}`);
    return new Promise<number>((resolve, reject) => {
      const give = (p: number) => {
        stop.removeEventListener("abort", onAbort);
        resolve(p);
      };
      const onAbort = () => {
        this.slotWaiters.splice(this.slotWaiters.indexOf(give), 1);
        reject(stop.reason);
      };
      if (stop.aborted) return reject(stop.reason);
      stop.addEventListener("abort", onAbort, { once: true });
      this.slotWaiters.push(give);
    });
  }

  /** Gives `prop` back after a read; one given up on is retired (its owner may still write to it) for a new one. */
  private release(prop: number, clean: boolean): void {
    const next = (p: number) => {
      const waiter = this.slotWaiters.shift();
      if (waiter) waiter(p);
      else this.slots.push(p);
    };
    if (clean) {
      next(prop);
      return;
    }
    this.x.atom(`DESKTOPD_SELECTION_${this.madeSlots++}`).then(next, () => undefined);
  }

  /** One conversion to `target` into `prop`: the text, or undefined when the owner refuses that target. */
  private async convert(sel: number, target: number, name: string, prop: number, stop: AbortSignal): Promise<string | undefined> {
    const notified = this.next(
      (ev) =>
        ev.name === "SelectionNotify" &&
        ev.selection === sel &&
        ev.requestor === this.window &&
        (ev.property === prop || (ev.property === 0 && ev.target === target)),
      stop,
    );
    this.x.send((X) => X.ConvertSelection(this.window, sel, target, prop, 0));
    const ev = await notified;
    if (!ev.property) return undefined;
    let first = await this.read(prop);
    const decode = (b: Buffer, type: number) => b.toString(type === this.atoms.STRING ? "latin1" : "utf8");
    if (first.type !== this.atoms.INCR) {
      this.x.send((X) => X.DeleteProperty(this.window, prop));
      return decode(first.data, first.type);
    }
    // INCR: each delete asks for the next chunk; an empty one ends it.
    const parts: Buffer[] = [];
    let size = 0;
    for (;;) {
      const chunk = this.next(
        (e) => e.name === "PropertyNotify" && e.wid === this.window && e.atom === prop && e.state === PROPERTY_NEW_VALUE,
        stop,
      );
      this.x.send((X) => X.DeleteProperty(this.window, prop));
      await chunk;
      first = await this.read(prop);
      if (first.data.length === 0) {
        this.x.send((X) => X.DeleteProperty(this.window, prop));
        break;
      }
      size += first.data.length;
      if (size > MAX_CLIPBOARD_BYTES) {
        this.x.send((X) => X.DeleteProperty(this.window, prop));
        throw new ResourceExhaustedError(`the ${name} selection holds more than ${MAX_CLIPBOARD_BYTES} bytes`);
      }
      parts.push(first.data);
    }
    return decode(Buffer.concat(parts), first.type);
  }

  private async read(prop: number): Promise<{ type: number; data: Buffer }> {
    const p = await this.x.call<{ type: number; data?: Buffer }>((X, cb) =>
      X.GetProperty(0, this.window, prop, ANY_PROPERTY_TYPE, 0, (MAX_CLIPBOARD_BYTES + 4) / 4, cb),
    );
    if ((p.data?.length ?? 0) > MAX_CLIPBOARD_BYTES)
      throw new ResourceExhaustedError(`the selection holds more than ${MAX_CLIPBOARD_BYTES} bytes`);
    return { type: p.type, data: Buffer.from(p.data ?? Buffer.alloc(0)) };
  }

  /** The next event `match` accepts; rejects with `stop.reason` when it aborts first. */
  private next(match: (ev: SelectionEvent) => boolean, stop: AbortSignal): Promise<SelectionEvent> {
    return new Promise((resolve, reject) => {
      const waiter = (ev: SelectionEvent) => {
        if (!match(ev)) return false;
        stop.removeEventListener("abort", onAbort);
        resolve(ev);
        return true;
      };
      const onAbort = () => {
        this.waiters.delete(waiter);
        reject(stop.reason);
      };
      if (stop.aborted) return reject(stop.reason);
      stop.addEventListener("abort", onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  private onEvent(ev: SelectionEvent): void {
    for (const w of this.waiters) if (w(ev)) this.waiters.delete(w);
    if (ev.name === "SelectionRequest") this.answer(ev);
    else if (ev.name === "SelectionClear" && ev.selection !== undefined) this.owned.delete(ev.selection);
    else if (ev.name === "PropertyNotify" && ev.state === PROPERTY_DELETED) this.continueIncr(ev);
  }

  /** Answers another client's SelectionRequest for text we own. */
  private answer(ev: SelectionEvent): void {
    const { requestor = 0, selection = 0, target = 0, time = 0 } = ev;
    // Obsolete clients name no property: the target's name is used then (ICCCM 2.2).
    const property = ev.property || target;
    const data = this.owned.get(selection);
    const a = this.atoms;
    let ok = data !== undefined;
    if (data && target === a.TARGETS) {
      this.x.send((X) =>
        X.ChangeProperty(0, requestor, property, ATOM_TYPE, 32, [
          a.TARGETS,
          a.UTF8_STRING,
          a.STRING,
          a.TEXT,
          a["text/plain;charset=utf-8"],
        ]),
      );
    } else if (data && (target === a.UTF8_STRING || target === a.TEXT || target === a["text/plain;charset=utf-8"])) {
      this.put(requestor, property, a.UTF8_STRING, data);
    } else if (data && target === a.STRING) {
      // ISO Latin-1; characters beyond it become '?'.
      const latin1 = Buffer.from([...data.toString("utf8")].map((c) => ((c.codePointAt(0) ?? 63) > 255 ? "?" : c)).join(""), "latin1");
      this.put(requestor, property, a.STRING, latin1);
    } else ok = false;
    this.x.send((X) =>
      X.SendEvent(requestor, 0, 0, { name: "SelectionNotify", time, requestor, selection, target, property: ok ? property : 0 }),
    );
    // TARGETS is a question before the fetch, not the fetch.
    if (ok && target !== a.TARGETS) for (const f of this.served) f(selection);
  }

  private put(requestor: number, property: number, type: number, data: Buffer): void {
    if (data.length <= INCR_THRESHOLD) {
      this.x.send((X) => X.ChangeProperty(0, requestor, property, type, 8, data));
      return;
    }
    this.outgoing.set(`${requestor}:${property}`, { data, type, offset: 0 });
    this.x.send((X) => {
      // Our connection's own interest in the requestor's property deletions.
      X.ChangeWindowAttributes(requestor, { eventMask: PROPERTY_CHANGE_MASK });
      X.ChangeProperty(0, requestor, property, this.atoms.INCR, 32, [data.length]);
    });
  }

  /** The requestor deleted the property: the next INCR chunk, then an empty one. */
  private continueIncr(ev: SelectionEvent): void {
    const key = `${ev.wid}:${ev.atom}`;
    const t = this.outgoing.get(key);
    if (!t || ev.wid === undefined || ev.atom === undefined) return;
    const chunk = t.data.subarray(t.offset, t.offset + INCR_CHUNK);
    t.offset += chunk.length;
    const wid = ev.wid;
    const atom = ev.atom;
    this.x.send((X) => X.ChangeProperty(0, wid, atom, t.type, 8, chunk));
    if (chunk.length === 0) this.outgoing.delete(key);
  }

  /**
   * Pastes `text`: puts it on CLIPBOARD, calls `press` (ctrl+v),
   * waits until an app has fetched it (at most PASTE_WAIT_MS), then puts the
   * previous text back (if there was any text).
   */
  async paste(text: string, press: () => Promise<void>): Promise<void> {
    const previous = await this.get("CLIPBOARD").catch(() => "");
    await this.set(text, "CLIPBOARD");
    const sel = this.atoms.CLIPBOARD;
    let onServed!: (selection: number) => void;
    const fetched = new Promise<void>((resolve) => {
      onServed = (s) => s === sel && resolve();
      this.served.add(onServed);
    });
    try {
      await press();
      await Promise.race([fetched, sleep(PASTE_WAIT_MS)]);
    } finally {
      this.served.delete(onServed);
      if (previous !== "") await this.set(previous, "CLIPBOARD").catch(() => undefined);
    }
  }

  /** The first XID of this clipboard's connection (src/desktop/x11/clean-display.ts spares it). */
  get resourceBase(): number {
    return this.x.resourceBase;
  }

  close(): void {
    this.x.close();
  }
}
