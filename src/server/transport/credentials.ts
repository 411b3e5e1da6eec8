/**
 * Who may call: the tenant's bearer token, and for a warm desktop that no
 * task has claimed yet, the pool's bootstrap secret, which is good for
 * `Claim` only. A Claim sets the tenant's token (and a label for the logs);
 * from then on the bootstrap secret is refused and only that token works,
 * until the tenant gives the desktop back (`Reset` with `unclaim`). A claim
 * may also allow web origins for its task, which go with it. Tokens
 * are never returned or logged; compared as in checkBearer (constant time).
 */
import { createHash, timingSafeEqual } from "node:crypto";

const digest = (s: string) => createHash("sha256").update(s).digest();

/** True when `header` is "Bearer <token>" with exactly `token` (SHA-256 digests compared in constant time). */
export function checkBearer(header: string | null | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return timingSafeEqual(digest(m ? m[1] : ""), digest(token)) && m !== null;
}

/** The shortest token or secret accepted, characters. */
export const MIN_SECRET = 16;

export class Credentials {
  private token: string | undefined;
  private readonly bootstrap: string | undefined;
  /** The claim's label, for log lines; undefined while unclaimed or when started with a token. */
  label: string | undefined;
  /** Web origins the claim allowed (src/server/transport/origins.ts); none while unclaimed. */
  origins: readonly string[] = [];

  /** `token`: the tenant's, from the start; `bootstrap`: start unclaimed, claimable with it. At least one. */
  constructor(opts: { token?: string | undefined; bootstrap?: string | undefined }) {
    if (opts.token === undefined && opts.bootstrap === undefined) throw new Error("a token or a bootstrap secret is needed");
    for (const s of [opts.token, opts.bootstrap]) {
      if (s !== undefined && s.length < MIN_SECRET) throw new Error(`token must be at least ${MIN_SECRET} characters`);
    }
    this.token = opts.token;
    this.bootstrap = opts.bootstrap;
  }

  /** Whether `header` carries the tenant's token (never while unclaimed). */
  check(header: string | null | undefined): boolean {
    return this.token !== undefined && checkBearer(header, this.token);
  }

  /** Whether `header` carries the bootstrap secret of an unclaimed desktop. */
  checkBootstrap(header: string | null | undefined): boolean {
    return this.token === undefined && this.bootstrap !== undefined && checkBearer(header, this.bootstrap);
  }

  /** No tenant token is set: only a Claim with the bootstrap secret is accepted. */
  get unclaimed(): boolean {
    return this.token === undefined;
  }

  /** Started with a bootstrap secret: a desktop given back can be claimed again. */
  get claimable(): boolean {
    return this.bootstrap !== undefined;
  }

  /** Sets the tenant's token, label and allowed origins; the bootstrap secret is refused from now on. */
  claim(token: string, label: string | undefined, origins: readonly string[] = []): void {
    this.token = token;
    this.label = label;
    this.origins = origins;
  }

  /** Back to unclaimed: the token is refused, the bootstrap secret claims again. */
  unclaim(): void {
    this.token = undefined;
    this.label = undefined;
    this.origins = [];
  }
}

/** Whether `header` carries the tenant's token: `who` is the token itself, or the service's Credentials. */
export function tenantAuthorized(who: string | Credentials, header: string | null | undefined): boolean {
  return typeof who === "string" ? checkBearer(header, who) : who.check(header);
}
