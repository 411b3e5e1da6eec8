/** What every backend's host is told (each backend adds its own). */
import type { Logger } from "pino";
import type { Clock } from "../os/clock.js";
import type { Size } from "./geometry.js";
import type { InputOrderOptions } from "./input-order.js";
import type { StallLimits } from "./stall.js";

export interface HostOptions {
  /** Native framebuffer size, pixels. */
  geometry?: Size;
  /** Applications started on each desktop once it is up (argv arrays, no shell). */
  open?: string[][];
  /** Parent of each desktop's private runtime directory (sockets, state, what to clean up after a crash). */
  runtimeParent?: string;
  /** Environment of every process the desktop starts; DESKTOPD_* never passes (src/os/process.ts). */
  env?: NodeJS.ProcessEnv;
  /** Time limits for a desktop that stops answering (src/desktop/stall.ts). */
  limits?: StallLimits;
  /** How input is kept in order (src/desktop/input-order.ts); `false` never waits. */
  inputOrder?: InputOrderOptions | false;
  /** The timing rules' clock: settle, input order, stalls (the real one unless told). */
  clock?: Clock;
  logger: Logger;
}
