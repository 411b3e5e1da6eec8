/**
 * Bearer-token authentication for every RPC. Tokens are compared as SHA-256
 * digests with timingSafeEqual, so neither content nor length leaks by timing.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

const digest = (s: string) => createHash("sha256").update(s).digest();

/** True when `header` is "Bearer <token>" with exactly `token`. */
export function checkBearer(header: string | null | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return timingSafeEqual(digest(m ? m[1] : ""), digest(token)) && m !== null;
}

/** Rejects calls without `Authorization: Bearer <token>` with UNAUTHENTICATED. */
export function bearerAuth(token: string, exempt: (service: string) => boolean = () => false): Interceptor {
  if (token.length < 16) throw new Error("token must be at least 16 characters");
  return (next) => async (req) => {
    if (!exempt(req.service.typeName) && !checkBearer(req.header.get("authorization"), token)) {
      throw new ConnectError("missing or invalid bearer token", Code.Unauthenticated);
    }
    return next(req);
  };
}

/** A new random token: 32 bytes, base64url. */
export function generateToken(): string {
  return randomBytes(32).toString("base64url");
}
