/**
 * Bearer-token authentication for every RPC. Tokens are compared as SHA-256
 * digests with timingSafeEqual, so neither content nor length leaks by timing.
 */
import { randomBytes } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { Credentials, checkBearer } from "./credentials.js";

export { checkBearer };

/**
 * Rejects calls without `Authorization: Bearer <token>` with UNAUTHENTICATED;
 * a `Claim` may carry the bootstrap secret of an unclaimed desktop instead
 * (src/server/transport/credentials.ts).
 */
export function bearerAuth(token: string | Credentials, exempt: (service: string) => boolean = () => false): Interceptor {
  const creds = typeof token === "string" ? new Credentials({ token }) : token;
  return (next) => async (req) => {
    if (exempt(req.service.typeName)) return next(req);
    const header = req.header.get("authorization");
    if (creds.check(header) || (req.method.name === "Claim" && creds.checkBootstrap(header))) return next(req);
    throw new ConnectError(
      creds.unclaimed ? "this desktop is not claimed yet: Claim it with the bootstrap secret" : "missing or invalid bearer token",
      Code.Unauthenticated,
    );
  };
}

/** A new random token: 32 bytes, base64url. */
export function generateToken(): string {
  return randomBytes(32).toString("base64url");
}
