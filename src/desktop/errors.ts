/**
 * Typed desktop errors. Backends throw these; the API layer maps them to gRPC
 * codes (src/server/rpc/errors.ts) so no backend needs to know about Connect.
 */

/** Bad input: maps to INVALID_ARGUMENT. `field` is the request field at fault. */
export class InvalidInputError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = "InvalidInputError";
  }
}

/** The desktop cannot be reached or started right now: maps to UNAVAILABLE. */
export class DesktopUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DesktopUnavailableError";
  }
}

/** The desktop was closed (service shutting down): maps to UNAVAILABLE. */
export class DesktopClosedError extends DesktopUnavailableError {
  constructor() {
    super("desktop closed");
    this.name = "DesktopClosedError";
  }
}

/** The named thing (a recording id) does not exist: maps to NOT_FOUND. */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotFoundError";
  }
}

/** A limit was reached (active recordings, artifact size): maps to RESOURCE_EXHAUSTED. */
export class ResourceExhaustedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ResourceExhaustedError";
  }
}

/** Data was lost (a recording whose encoder had to be killed): maps to DATA_LOSS. */
export class DataLossError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DataLossError";
  }
}

/** Not allowed whatever the input (a path that leaves the file root, file RPCs off): maps to PERMISSION_DENIED. */
export class PermissionDeniedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PermissionDeniedError";
  }
}

/** The request is fine but the state is not (a directory where a file is needed): maps to FAILED_PRECONDITION. */
export class FailedPreconditionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FailedPreconditionError";
  }
}

/** This backend cannot do that here (a PortableDesktop display it cannot join): maps to UNIMPLEMENTED. */
export class UnimplementedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnimplementedError";
  }
}
