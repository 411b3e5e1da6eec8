/** The process logger: JSON lines on stderr (pino). */
import { type Logger, pino } from "pino";

/** `mixin`: fields added to every line, read at each (a warm desktop's claim label). */
export function createLogger(level: string, mixin?: () => Record<string, unknown>): Logger {
  return pino({ level, base: { svc: "desktopd" }, ...(mixin ? { mixin } : {}) }, pino.destination(2));
}
