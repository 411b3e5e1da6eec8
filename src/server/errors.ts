/**
 * Desktop errors -> gRPC status codes. The only place codes are chosen for
 * desktop failures:
 *   InvalidInputError -> INVALID_ARGUMENT (message names the field)
 *   DesktopUnavailableError / DesktopClosedError -> UNAVAILABLE
 *   an aborted call -> CANCELED, or UNAVAILABLE when the server is shutting down
 *   anything else -> INTERNAL with the cause's message
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { DesktopUnavailableError, InvalidInputError } from "../desktop/errors.js";

export function toConnectError(err: unknown, shuttingDown = false): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof InvalidInputError) return new ConnectError(err.message, Code.InvalidArgument, undefined, undefined, err);
  if (err instanceof DesktopUnavailableError) return new ConnectError(err.message, Code.Unavailable, undefined, undefined, err);
  if (shuttingDown) return new ConnectError("server is shutting down", Code.Unavailable, undefined, undefined, err);
  if (err instanceof Error && (err.name === "AbortError" || err.name === "TimeoutError")) {
    return new ConnectError(err.message, Code.Canceled, undefined, undefined, err);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ConnectError(`desktop failure: ${message}`, Code.Internal, undefined, undefined, err);
}
