/**
 * A portabledesktop session as desktopd holds it: what `up --json` reported
 * (validated), the processes it started, and how its screen is watched.
 */
import { DesktopUnavailableError } from "../errors.js";
import type { Size } from "../geometry.js";
import { alive, type DisplayProcess } from "../process.js";
import type { ChangeLog } from "../screen-changes.js";
import { StallWatch } from "../stall.js";
import type { Clipboard } from "../x11/clipboard.js";
import type { X11Connection } from "../x11/connection.js";

/** What `up --json` prints; only what we use. */
export interface UpOutput {
  display?: number | string;
  vncPort?: number;
  geometry?: string;
  sessionDir?: string;
  stateFile?: string;
  xvncPid?: number;
  openboxPid?: number;
}

export interface Session {
  native: Size;
  display: string;
  vncPort: number;
  /** Every process the session reported (stopped on close). */
  pids: number[];
  /** Xvnc's pid: the desktop is alive while it is. */
  xvncPid?: number;
  /** The `open` apps, each leading its process group. */
  apps: DisplayProcess[];
  /** Checks Xvnc between calls. */
  watcher?: NodeJS.Timeout;
  /** An X connection to the session's display watching DAMAGE, when its server let us join. */
  x?: X11Connection;
  changes?: ChangeLog;
  /** Whether commands (and the X server, when joined) answer. */
  stall: StallWatch;
  /** The clipboard's own X connection, opened on first use. */
  clipboard?: Promise<Clipboard>;
}

/** Why a session is dead (its Xvnc is gone), or undefined. */
export const probe = (s: Session) => (s.xvncPid !== undefined && !alive(s.xvncPid) ? "Xvnc exited" : undefined);

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
  return { native, display, vncPort: port!, pids, xvncPid, apps: [], stall: new StallWatch() };
}
