/**
 * Desktop errors -> gRPC status codes. The only place codes are chosen for
 * desktop failures:
 *   InvalidInputError -> INVALID_ARGUMENT (message names the field)
 *   DesktopUnavailableError / DesktopClosedError -> UNAVAILABLE
 *   NotFoundError -> NOT_FOUND, ResourceExhaustedError -> RESOURCE_EXHAUSTED,
 *   DataLossError -> DATA_LOSS, PermissionDeniedError -> PERMISSION_DENIED,
 *   FailedPreconditionError -> FAILED_PRECONDITION, UnimplementedError -> UNIMPLEMENTED
 *   an aborted call -> CANCELED, or UNAVAILABLE when the server is shutting down
 *   anything else -> INTERNAL with the cause's message (a system error's
 *   without the host paths it names)
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { DesktopService } from "../../../gen/desktop/v1/desktop_pb.js";
import {
  DataLossError,
  DesktopUnavailableError,
  FailedPreconditionError,
  InvalidInputError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnimplementedError,
} from "../../desktop/errors.js";
import { withOutcome } from "../transport/outcome.js";

const CODES: [new (...a: never[]) => Error, Code][] = [
  [InvalidInputError, Code.InvalidArgument],
  [DesktopUnavailableError, Code.Unavailable],
  [NotFoundError, Code.NotFound],
  [ResourceExhaustedError, Code.ResourceExhausted],
  [DataLossError, Code.DataLoss],
  [PermissionDeniedError, Code.PermissionDenied],
  [FailedPreconditionError, Code.FailedPrecondition],
  [UnimplementedError, Code.Unimplemented],
];

export function toConnectError(err: unknown, shuttingDown = false): ConnectError {
  if (err instanceof ConnectError) return err;
  for (const [type, code] of CODES) if (err instanceof type) return new ConnectError(err.message, code, undefined, undefined, err);
  if (shuttingDown) return new ConnectError("server is shutting down", Code.Unavailable, undefined, undefined, err);
  if (err instanceof Error && (err.name === "AbortError" || err.name === "TimeoutError")) {
    return new ConnectError(err.message, Code.Canceled, undefined, undefined, err);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ConnectError(`desktop failure: ${hidePaths(err, message)}`, Code.Internal, undefined, undefined, err);
}

/**
 * A system error's message names the host paths it touched ("EACCES:
 * permission denied, open '/home/...'"): a client is told the call and the
 * code only.
 */
function hidePaths(err: unknown, message: string): string {
  const e = err as NodeJS.ErrnoException;
  return typeof e?.code === "string" && typeof e.syscall === "string" ? `${e.syscall} failed: ${e.code}` : message;
}

/**
 * For DesktopService calls: maps whatever a handler throws, at once or while
 * streaming, through `toConnectError` (`shutdownSignal` aborted means the
 * server is shutting down). A stream that ends because its call was aborted
 * (cancellation, deadline, shutdown) ends with that reason, not as a normal
 * end. Other services (health, reflection) keep their own errors. Placed
 * inside the call logger, so the log sees the final code.
 */
export function mapErrors(shutdownSignal?: AbortSignal): Interceptor {
  const map = (err: unknown) => toConnectError(err, shutdownSignal?.aborted ?? false);
  return (next) => async (req) => {
    if (req.service.typeName !== DesktopService.typeName) return next(req);
    return withOutcome(next, req, (err, streamed) => {
      if (err !== undefined) return map(err);
      // A stream that stopped because its call was aborted did not succeed.
      if (streamed && req.signal.aborted) return map(req.signal.reason);
      return undefined;
    });
  };
}
