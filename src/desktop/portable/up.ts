/**
 * What `portabledesktop up --json` reports about the session it started,
 * validated: a port of 0 or a bad geometry is an error, not a zero.
 */
import { alive } from "../../os/process.js";
import { DesktopUnavailableError } from "../errors.js";
import type { Size } from "../geometry.js";

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

/** A started session's facts. */
export interface Up {
  native: Size;
  /** ":N". */
  display: string;
  vncPort: number;
  /** Every process the session reported (killed at stop if `down` left them). */
  pids: number[];
  /** Xvnc's pid: the desktop is alive while it is. */
  xvncPid?: number;
}

/** Why a session is dead (its Xvnc is gone), or undefined. */
export const deadWhy = (up: Up) => (up.xvncPid !== undefined && !alive(up.xvncPid) ? "Xvnc exited" : undefined);

/** Validates `up --json` output; DesktopUnavailableError naming what is wrong. */
export function parseUp(out: UpOutput): Up {
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
  return { native, display, vncPort: port!, pids, xvncPid };
}
