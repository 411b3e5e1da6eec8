/**
 * One log line per call: method, code, duration. Streams are timed to their
 * end by wrapping the response iterator. Messages (images, RFB bytes) and
 * headers (tokens) are never logged.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { withOutcome } from "./outcome.js";

export function callLogger(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const start = performance.now();
    const method = `${req.service.typeName}/${req.method.name}`;
    const done = (err?: unknown) => {
      const code = err === undefined ? "ok" : codeName(ConnectError.from(err).code);
      const entry = { method, code, duration_ms: Math.round((performance.now() - start) * 10) / 10 };
      if (err !== undefined && code !== "canceled" && code !== "invalid_argument" && code !== "unauthenticated") {
        logger.warn({ ...entry, err: ConnectError.from(err).rawMessage }, "call failed");
      } else logger.info(entry, "call");
    };
    return withOutcome(next, req, (err) => {
      done(err);
      return err;
    });
  };
}

/** Code.InvalidArgument -> "invalid_argument", as gRPC spells codes. */
function codeName(code: Code): string {
  return Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}
