/** The process logger: JSON lines on stderr (pino). */
import { type Logger, pino } from "pino";

export function createLogger(level: string): Logger {
  return pino({ level, base: { svc: "desktopd" } }, pino.destination(2));
}
