/**
 * A used X display made fresh again without a new X server, for an in-place
 * Reset (src/desktop/session-host.ts): what a task's programs leave behind in
 * the server, put back as a new server would have it.
 *
 * - Every X client but desktopd's own connections and the window manager is
 *   disconnected (KillClient; its windows and selections go with it). Clients
 *   are told apart by the pid the server itself read from the socket
 *   (X-Resource LocalClientPID), which a program cannot forge the way it can
 *   forge window properties such as _NET_WM_PID or _NET_SUPPORTING_WM_CHECK.
 * - The selections (CLIPBOARD, PRIMARY, SECONDARY) are left without owner.
 * - Every key and button still down is released; Caps Lock and Num Lock are
 *   turned off.
 * - The keyboard and modifier mappings are put back as they were at join.
 * - The pointer goes to the centre of the screen, where Xvnc starts it.
 *
 * Not restored (ask Reset for a new X server when they matter): root window
 * properties, keyboard and pointer controls (auto-repeat, bell,
 * acceleration), the screen saver, font path and access-control list.
 *
 * Sources: X11 protocol (KillClient, SetSelectionOwner, QueryKeymap,
 * SetModifierMapping), https://www.x.org/releases/current/doc/xproto/x11protocol.html;
 * X-Resource 1.2, https://www.x.org/releases/current/doc/resourceproto/resproto.txt.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { X11Connection } from "./connection.js";
import type { XTest } from "./xtest.js";

/** What cleaning did. */
export interface CleanReport {
  /** X clients disconnected. */
  clients: number;
  /** Keys and buttons that were down, released. */
  released: number;
  /** Keyboard or modifier mapping put back. */
  keymap: boolean;
}

const SELECTIONS = ["CLIPBOARD", "PRIMARY", "SECONDARY"];
const NONE = 0;
// Core masks (X11 protocol, SETofKEYBUTMASK): Lock, and Button1..Button5.
const LOCK_MASK = 1 << 1;
const BUTTON_MASKS = [1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12];
// Keysyms (X11/keysymdef.h).
const CAPS_LOCK = 0xffe5;
const NUM_LOCK = 0xff7f;

export interface CleanOptions {
  /** The connection cleaning goes over. */
  x: X11Connection;
  xtest: XTest;
  /** Resource bases of desktopd's own connections to this display: never disconnected. */
  own: number[];
  /** Pids whose connections stay (the window manager). */
  keepPids: number[];
}

/** Cleans the display `opts.x` is joined to (see the module comment). Rejects when the server fails a request. */
export async function cleanDisplay(opts: CleanOptions): Promise<CleanReport> {
  const { x, xtest } = opts;
  const clients = await disconnectClients(opts);
  for (const name of SELECTIONS) {
    const atom = await x.atom(name);
    x.send((X) => X.SetSelectionOwner(NONE, atom, 0));
  }
  const released = await releaseAll(x, xtest);
  const keymap = await x.restoreKeyboard();
  await unlock(x, xtest);
  xtest.motion({ x: Math.floor(x.width / 2), y: Math.floor(x.height / 2) });
  await x.sync();
  return { clients, released, keymap: keymap.keyboard || keymap.modifiers };
}

interface Client {
  resourceBase: number;
  resourceMask: number;
  /** As the server read it from the socket (X-Resource LocalClientPID). */
  pid?: number;
}

/** How many rounds of disconnecting a display may take (programs that reconnect as fast as they are disconnected make it fail). */
const ROUNDS = 3;
/** How long clients without a window get to go away by themselves (a program that just exited is still listed until the server reads its socket's end), ms. */
const BARE_WAIT_MS = 1000;
const BARE_POLL_MS = 25;

/**
 * KillClient for every client not ours and not kept; resolves with how many.
 * KillClient names a client by one of its resources, so each is found by a
 * window it made (a walk of the window tree); a client without a window
 * cannot be disconnected: it gets BARE_WAIT_MS to go by itself (the
 * programs were just stopped), then this rejects (a new X server is needed).
 */
async function disconnectClients(opts: CleanOptions): Promise<number> {
  let total = 0;
  let rounds = 0;
  const waitUntil = performance.now() + BARE_WAIT_MS;
  for (;;) {
    const doomed = await foreignClients(opts);
    if (doomed.length === 0) return total;
    const windows = await allWindows(opts.x);
    const named = doomed.map((c) => ({ c, w: windows.find((w) => (w & ~c.resourceMask) === c.resourceBase) }));
    const bare = named.filter((n) => n.w === undefined);
    const killable = named.filter((n) => n.w !== undefined);
    if (killable.length && rounds++ === ROUNDS) throw new Error(`X clients keep connecting after ${ROUNDS} rounds of disconnecting them`);
    for (const { w } of killable) opts.x.send((X) => X.KillClient(w as number));
    await opts.x.sync();
    total += killable.length;
    if (bare.length && performance.now() >= waitUntil) {
      const pids = bare.map((n) => n.c.pid ?? "unknown").join(", ");
      throw new Error(`${bare.length} X clients of the last task have no window to be disconnected by (pids ${pids})`);
    }
    if (bare.length) await sleep(BARE_POLL_MS);
  }
}

/** The clients that are neither ours nor kept (by the pid the server knows them by). */
async function foreignClients(opts: CleanOptions): Promise<Client[]> {
  const { x } = opts;
  const res = await x.extension("res");
  const all = await x.call<Client[]>((_, cb) => res.QueryClients(cb));
  const own = new Set(opts.own);
  // Resource base 0 is the server's own client.
  const others = all.filter((c) => c.resourceBase !== 0 && !own.has(c.resourceBase));
  if (others.length === 0) return others;
  const ids = await x.call<{ client: number; mask: number; value: number[] }[]>((_, cb) =>
    res.QueryClientIds(
      others.map((c) => ({ client: c.resourceBase, mask: res.ClientIdMask.LocalClientPID })),
      cb,
    ),
  );
  const pids = ids.filter((i) => i.mask === res.ClientIdMask.LocalClientPID);
  const keep = new Set(opts.keepPids);
  return others
    .map((c) => ({ ...c, pid: pids.find((i) => (i.client & ~c.resourceMask) === c.resourceBase)?.value[0] }))
    .filter((c) => c.pid === undefined || !keep.has(c.pid));
}

/** Every window on the screen (QueryTree from the root, one round trip per level); a window gone meanwhile is skipped. */
async function allWindows(x: X11Connection): Promise<number[]> {
  const out: number[] = [];
  let level = [x.root];
  while (level.length) {
    const trees = await Promise.all(
      level.map((w) => x.call<{ children: number[] }>((X, cb) => X.QueryTree(w, cb)).catch(() => ({ children: [] as number[] }))),
    );
    level = trees.flatMap((t) => t.children);
    out.push(...level);
  }
  return out;
}

/** Releases every key and button the server has down; resolves with how many. */
async function releaseAll(x: X11Connection, xtest: XTest): Promise<number> {
  const bits = await x.call<Buffer>((X, cb) => X.QueryKeymap(cb));
  let released = 0;
  for (let keycode = 8; keycode < 256; keycode++) {
    if (bits[keycode >> 3] & (1 << (keycode & 7))) {
      xtest.key(keycode, false);
      released++;
    }
  }
  const { buttonMask } = await x.pointer();
  BUTTON_MASKS.forEach((mask, i) => {
    if (buttonMask & mask) {
      xtest.button(i + 1, false);
      released++;
    }
  });
  await x.sync();
  return released;
}

/** Turns Caps Lock and Num Lock off, as on a new server (a tap of the key toggles its lock). */
async function unlock(x: X11Connection, xtest: XTest): Promise<void> {
  const modifiers = await x.call<number[][]>((X, cb) => X.GetModifierMapping(cb));
  const numLock = x.keys.find(NUM_LOCK);
  // Num Lock's modifier bit is whichever Mod row holds its keycode.
  const numRow = numLock ? modifiers.findIndex((row) => row.includes(numLock.keycode)) : -1;
  const { buttonMask: state } = await x.pointer();
  const taps = [
    { on: (state & LOCK_MASK) !== 0, keysym: CAPS_LOCK },
    { on: numRow > 0 && (state & (1 << numRow)) !== 0, keysym: NUM_LOCK },
  ];
  for (const t of taps) {
    const loc = t.on ? x.keys.find(t.keysym) : undefined;
    if (!loc) continue;
    xtest.key(loc.keycode, true);
    xtest.key(loc.keycode, false);
  }
}
