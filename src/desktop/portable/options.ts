/** The PortableDesktop backend's options, defaults and time limits. */
import { tmpdir } from "node:os";
import { DEFAULT_GEOMETRY } from "../desktop.js";
import type { HostOptions } from "../host-options.js";
import { STALL_DEFAULTS } from "../stall.js";

export interface PortableOptions extends HostOptions {
  /** Path of the `portabledesktop` binary (see binary.ts for resolution). */
  binary: string;
  /** Time `up` gets, ms. */
  upTimeoutMs?: number;
  /** Time `down` gets at close, ms; then the session's processes are killed. */
  downTimeoutMs?: number;
  /** How often a running session's Xvnc is checked between calls, ms. */
  watchIntervalMs?: number;
  /**
   * How screen changes are seen: "auto" uses DAMAGE on the session's X
   * display when its server lets us join, else compares frames; "frames"
   * always compares frames.
   */
  screenChanges?: "auto" | "frames";
}

export const DEFAULTS = {
  geometry: DEFAULT_GEOMETRY,
  open: [] as string[][],
  env: process.env,
  runtimeParent: tmpdir(),
  limits: STALL_DEFAULTS,
  upTimeoutMs: 60_000,
  downTimeoutMs: 9000,
  watchIntervalMs: 1000,
  screenChanges: "auto" as "auto" | "frames",
};

/** Time the CLI's `keyboard type` gets per character on top of the request limit, ms. */
export const TYPE_MS_PER_CHAR = 20;
/** `down` for a session that died and is being replaced, ms. */
export const REPLACED_DOWN_TIMEOUT_MS = 5000;
