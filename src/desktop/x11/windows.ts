/**
 * Top-level windows as the window manager sees them, through EWMH root
 * properties and client messages (Extended Window Manager Hints,
 * https://specifications.freedesktop.org/wm-spec/latest/):
 * _NET_CLIENT_LIST, _NET_ACTIVE_WINDOW, _NET_WM_NAME, _NET_WM_PID,
 * _NET_WM_STATE(_HIDDEN), _NET_CLOSE_WINDOW, and ICCCM's WM_NAME and
 * WM_CLASS. Geometry is the client area in native pixels, relative to the
 * root window.
 *
 * Which process owns a window is asked of the X server (X-Resource 1.2
 * QueryClientIds, LocalClientPID: the pid of the client that created the
 * window, from its socket's credentials), never taken from _NET_WM_PID,
 * which the client writes itself and may forge.
 */
import type { XRes } from "x11";
import { signalProcess } from "../../os/process.js";
import { sleep } from "../../os/sleep.js";
import type { WindowControl, WindowInfo } from "../desktop.js";
import { FailedPreconditionError, NotFoundError } from "../errors.js";
import type { X11Connection } from "./connection.js";

const ANY_PROPERTY_TYPE = 0;
/** Longest property read, in 4-byte units (1 MiB). */
const MAX_LONGS = 256 * 1024;
/** X error codes of a request on a window that no longer exists: BadWindow, BadDrawable (X11 protocol, section 4). */
const GONE = [3, 9];
/** _NET_ACTIVE_WINDOW / _NET_CLOSE_WINDOW source indication: a pager (a tool acting for the user). */
const SOURCE_PAGER = 2;

async function property(x: X11Connection, wid: number, name: string): Promise<{ format: number; data: Buffer } | undefined> {
  const atom = await x.atom(name);
  const p = await x.call<{ format: number; data?: Buffer }>((X, cb) => X.GetProperty(0, wid, atom, ANY_PROPERTY_TYPE, 0, MAX_LONGS, cb));
  return p.data && p.data.length > 0 ? { format: p.format, data: p.data } : undefined;
}

const longs = (p: { data: Buffer } | undefined): number[] =>
  p ? Array.from({ length: Math.floor(p.data.length / 4) }, (_, i) => p.data.readUInt32LE(i * 4)) : [];

/**
 * The pid of the client that created window `id`, from the X server
 * (X-Resource); 0 when the client is not local (no pid), undefined when the
 * server has no X-Resource.
 */
export async function ownerPid(x: X11Connection, id: number): Promise<number | undefined> {
  const res = await x.call<XRes>((X, cb) => X.require("res", cb)).catch(() => undefined);
  if (!res) return undefined;
  const ids = await x.call<{ mask: number; value: number[] }[]>((_, cb) =>
    res.QueryClientIds([{ client: id, mask: res.ClientIdMask.LocalClientPID }], cb),
  );
  return ids.find((i) => i.mask === res.ClientIdMask.LocalClientPID)?.value[0] ?? 0;
}

/** The managed windows, oldest first (_NET_CLIENT_LIST). A window that goes away while it is read is left out. */
export async function listWindows(x: X11Connection): Promise<WindowInfo[]> {
  const ids = longs(await property(x, x.root, "_NET_CLIENT_LIST"));
  const [active] = longs(await property(x, x.root, "_NET_ACTIVE_WINDOW"));
  const hidden = await x.atom("_NET_WM_STATE_HIDDEN");
  const out: WindowInfo[] = [];
  for (const id of ids) {
    try {
      const name = (await property(x, id, "_NET_WM_NAME")) ?? (await property(x, id, "WM_NAME"));
      const wmClass = (await property(x, id, "WM_CLASS"))?.data.toString("latin1").split("\0") ?? [];
      const pid = (await ownerPid(x, id)) ?? longs(await property(x, id, "_NET_WM_PID"))[0] ?? 0;
      const state = longs(await property(x, id, "_NET_WM_STATE"));
      const g = await x.call<{ width: number; height: number }>((X, cb) => X.GetGeometry(id, cb));
      const at = await x.call<{ destX: number; destY: number }>((X, cb) => X.TranslateCoordinates(id, x.root, 0, 0, cb));
      out.push({
        id,
        title: name?.data.toString("utf8") ?? "",
        className: wmClass[1] ?? "",
        pid,
        geometry: { x: at.destX, y: at.destY, width: g.width, height: g.height },
        focused: id === active,
        minimized: state.includes(hidden),
      });
    } catch (err) {
      // Destroyed between the list and the reads: BadWindow or BadDrawable.
      if (!GONE.includes((err as { error?: number }).error ?? 0)) throw err;
    }
  }
  return out;
}

/** Whether `id` is a managed window now. */
export async function isManaged(x: X11Connection, id: number): Promise<boolean> {
  return longs(await property(x, x.root, "_NET_CLIENT_LIST")).includes(id);
}

/** Asks the window manager to raise and focus `id` (_NET_ACTIVE_WINDOW). */
export async function activateWindow(x: X11Connection, id: number): Promise<void> {
  const message = await x.atom("_NET_ACTIVE_WINDOW");
  x.send((X) => X.SendClientMessage(x.root, id, message, 32, [SOURCE_PAGER, 0, 0, 0, 0]));
  await x.sync();
}

/** Asks `id` to close through the window manager (_NET_CLOSE_WINDOW). */
export async function closeWindow(x: X11Connection, id: number): Promise<void> {
  const message = await x.atom("_NET_CLOSE_WINDOW");
  x.send((X) => X.SendClientMessage(x.root, id, message, 32, [0, SOURCE_PAGER, 0, 0, 0]));
  await x.sync();
}

/** activateWindow for a managed window; NotFoundError otherwise. */
export async function activateManaged(x: X11Connection, id: number): Promise<void> {
  if (!(await isManaged(x, id))) throw new NotFoundError(`window ${id} is not a managed window`);
  await activateWindow(x, id);
}

/**
 * closeWindow for a managed window (NotFoundError otherwise); with
 * `killAfterMs` > 0, SIGKILL to the window's owner (ownerPid) if the window
 * is still managed then, but only when `mayKill(pid)` says the desktop
 * started that process: FailedPreconditionError (nothing signalled) when the
 * owner cannot be told or is not the desktop's.
 */
export async function closeManaged(
  x: X11Connection,
  id: number,
  killAfterMs: number,
  mayKill: (pid: number) => boolean,
): Promise<{ killed: boolean }> {
  if (!(await isManaged(x, id))) throw new NotFoundError(`window ${id} is not a managed window`);
  await closeWindow(x, id);
  if (killAfterMs <= 0) return { killed: false };
  const end = Date.now() + killAfterMs;
  while (Date.now() < end) {
    if (!(await isManaged(x, id))) return { killed: false };
    await sleep(Math.min(100, Math.max(0, end - Date.now())));
  }
  if (!(await isManaged(x, id))) return { killed: false };
  const pid = await ownerPid(x, id);
  if (pid === undefined)
    throw new FailedPreconditionError(
      `window ${id} is still open; the X server cannot say which process owns it (no X-Resource), so none was killed`,
    );
  if (pid <= 0 || !mayKill(pid))
    throw new FailedPreconditionError(
      `window ${id} is still open; its client (${pid > 0 ? `pid ${pid}` : "not a local process"}) was not started by this desktop, so it was not killed`,
    );
  return { killed: signalProcess(pid, "SIGKILL") };
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
export async function windowManagerReady(x: X11Connection, timeoutMs: number, gaveUp: Promise<unknown>): Promise<boolean> {
  const atom = await x.atom("_NET_SUPPORTING_WM_CHECK");
  let over = false;
  const timer = setTimeout(() => (over = true), timeoutMs);
  void gaveUp.then(() => (over = true));
  try {
    while (!over) {
      const prop = await x.call<{ data?: Buffer }>((X, cb) => X.GetProperty(0, x.root, atom, 0, 0, 1, cb));
      const focus = await x.call<{ focus: number }>((X, cb) => X.GetInputFocus(cb));
      // Focus 0 is None, 1 is PointerRoot.
      if ((prop.data?.length ?? 0) >= 4 && focus.focus > 1) return true;
      await sleep(10);
    }
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** The window requests of one display, killing only what `mayKill` allows. */
export function ewmhWindows(x: X11Connection, mayKill: (pid: number) => boolean): WindowControl {
  return {
    list: () => listWindows(x),
    activate: (id) => activateManaged(x, id),
    close: (id, killAfterMs) => closeManaged(x, id, killAfterMs, mayKill),
  };
}
