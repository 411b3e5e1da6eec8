/** The PortableDesktop backend's options, defaults and time limits. */
import { tmpdir } from "node:os";
import type { Logger } from "pino";
import { DEFAULT_GEOMETRY } from "../desktop.js";
import type { Size } from "../geometry.js";
import { STALL_DEFAULTS, type StallLimits } from "../stall.js";

export interface PortableOptions {
  /** Path of the `portabledesktop` binary (see binary.ts for resolution). */
  binary: string;
  /** Native framebuffer size, pixels. */
  geometry?: Size;
  /** Applications started in the session once it is up (argv arrays, no shell). */
  open?: string[][];
  /** Parent of this instance's private directory (state file, what to clean up after a crash). */
  runtimeParent?: string;
  /** Environment of the CLI's commands and of the `open` apps; read at each command. */
  env?: NodeJS.ProcessEnv;
  logger: Logger;
  /**
   * Per-command timeout (`requestTimeoutMs`, also for the X requests of the
   * DAMAGE watch) and how long the session may stall before it is replaced,
   * ms (src/desktop/stall.ts).
   */
  limits?: StallLimits;
  /** Time `up` gets, ms. */
  upTimeoutMs?: number;
  /** Time `down` gets at close, ms; then the session's processes are killed. */
  downTimeoutMs?: number;
  /** How often a running session's Xvnc is checked between calls, ms. */
  watchIntervalMs?: number;
  /**
   * How screen changes are seen: "auto" joins the session's X display for
   * DAMAGE when its server lets us, else compares frames; "frames" always
   * compares frames.
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
