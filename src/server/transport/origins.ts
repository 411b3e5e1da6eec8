/**
 * Which web pages may use the service from a browser. A browser says which
 * page a request comes from in its `Origin` header (RFC 6454); programs send
 * none. Allowed: requests without an Origin, the service's own origin (the
 * live view), the origins given with `--allow-origin`, and those the current
 * Claim allowed (ClaimRequest.allowed_origins). Nothing else by default.
 *
 * For the allowed other origins the RPCs answer CORS (the Fetch standard,
 * https://fetch.spec.whatwg.org/#http-cors-protocol): preflights get the
 * methods and headers Connect and gRPC-Web use (connect-es's `cors` lists)
 * plus Authorization, and responses expose the status headers. A request
 * from any other origin is refused with 403 before it reaches an RPC, and the
 * `/vnc` WebSocket is refused the same way. The bearer token is still
 * required on top.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { cors } from "@connectrpc/connect";
import type { Logger } from "pino";

/** How long a browser may cache a preflight answer, s. */
const PREFLIGHT_MAX_AGE_S = 7200;

/** `raw` as an origin ("https://host:port"), or an Error naming `source`. */
export function parseOrigin(raw: string, source: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  const origin = url && (url.protocol === "http:" || url.protocol === "https:") ? url.origin : undefined;
  if (!origin || raw.replace(/\/$/, "") !== origin) {
    throw new Error(`${source}: expected an origin such as https://app.example:8443 (scheme, host, optional port; no path), got "${raw}"`);
  }
  return origin;
}

/** What to do with a request, by its Origin. */
export type OriginVerdict =
  /** No Origin, or the service's own: serve as is. */
  | { kind: "same" }
  /** An allowed other origin: serve with CORS headers for it. */
  | { kind: "cors"; origin: string }
  /** Any other origin: 403. */
  | { kind: "refused"; origin: string };

export class OriginPolicy {
  private readonly allowed: Set<string>;

  /** `allowed`: `--allow-origin`'s; `claimed`: those the current Claim allowed besides, read on every request. */
  constructor(
    allowed: readonly string[] = [],
    private readonly claimed: () => readonly string[] = () => [],
  ) {
    this.allowed = new Set(allowed);
  }

  /**
   * The verdict for a request with `headers`, sent to this service over
   * `scheme` ("http" or "https"). The own origin is the one the request was
   * addressed to (Host, or HTTP/2's :authority).
   */
  judge(headers: IncomingHttpHeaders, scheme: "http" | "https"): OriginVerdict {
    const origin = headers.origin;
    if (origin === undefined) return { kind: "same" };
    const host = headers[":authority"] ?? headers.host;
    if (typeof host === "string" && origin === `${scheme}://${host}`) return { kind: "same" };
    return this.allowed.has(origin) || this.claimed().includes(origin) ? { kind: "cors", origin } : { kind: "refused", origin };
  }

  /**
   * The policy applied to an HTTP request for `what` (an RPC path, /mcp):
   * 403 for a refused origin (logged), 204 with `preflight(origin)` to an
   * allowed origin's OPTIONS; true when it answered so. Otherwise sets the
   * CORS response headers for an allowed other origin and returns false.
   */
  gate(
    req: IncomingMessage | Http2ServerRequest,
    res: ServerResponse | Http2ServerResponse,
    opts: { scheme: "http" | "https"; logger: Logger; what: string; preflight?: (origin: string) => Record<string, string> },
  ): boolean {
    const verdict = this.judge(req.headers, opts.scheme);
    if (verdict.kind === "refused") {
      opts.logger.warn({ rpc: opts.what, origin: verdict.origin }, "request from a disallowed origin refused");
      res.writeHead(403, { "content-type": "text/plain; charset=utf-8" });
      res.end(`origin ${verdict.origin} is not allowed (desktopd serve --allow-origin ORIGIN)\n`);
      return true;
    }
    if (verdict.kind !== "cors") return false;
    if (req.method === "OPTIONS") {
      res.writeHead(204, (opts.preflight ?? OriginPolicy.preflightHeaders)(verdict.origin));
      res.end();
      return true;
    }
    for (const [k, v] of Object.entries(OriginPolicy.responseHeaders(verdict.origin))) res.setHeader(k, v);
    return false;
  }

  /** Headers of a response to an allowed other origin. */
  static responseHeaders(origin: string): Record<string, string> {
    return {
      "access-control-allow-origin": origin,
      "access-control-expose-headers": cors.exposedHeaders.join(", "),
      vary: "Origin",
    };
  }

  /** Headers of the answer to a preflight from an allowed other origin. */
  static preflightHeaders(origin: string): Record<string, string> {
    return {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": cors.allowedMethods.join(", "),
      "access-control-allow-headers": [...cors.allowedHeaders, "Authorization"].join(", "),
      "access-control-max-age": String(PREFLIGHT_MAX_AGE_S),
      vary: "Origin",
    };
  }
}
