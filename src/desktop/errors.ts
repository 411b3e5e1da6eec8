/**
 * Typed desktop errors. Backends throw these; the API layer maps them to gRPC
 * codes (src/server/errors.ts) so no backend needs to know about Connect.
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
