/** The process logger: JSON lines on stderr (pino), level from DESKTOPD_LOG_LEVEL. */
import { type Logger, pino } from "pino";

export function createLogger(level = process.env.DESKTOPD_LOG_LEVEL ?? "info"): Logger {
  return pino({ level, base: { svc: "desktopd" } }, pino.destination(2));
}
