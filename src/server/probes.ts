/**
 * Plain HTTP endpoints for orchestrators, beside the RPCs on the same port:
 *
 * - `GET /healthz`: 200 while the process serves (a liveness probe);
 * - `GET /readyz`: 200 when the desktop takes input now, else 503 with its
 *   state (`starting`, `replacing`, `lost`, `stalled`, `closed`): a
 *   readiness probe, so a router sends no task to a desktop that is not up;
 * - `GET /metrics`: Prometheus text (src/server/metrics/metrics.ts), behind
 *   the bearer token; not served here when `--metrics-listen` gives it a port
 *   of its own.
 *
 * The probes need no token (kubelet's httpGet sends none), so they say no
 * more than the state; with a valid token /readyz adds the reason.
 * Kubernetes probes: https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Readiness } from "../desktop/desktop.js";
import type { Metrics } from "./metrics/metrics.js";
import { type Credentials, tenantAuthorized } from "./transport/credentials.js";
import { requestUrl } from "./transport/request-url.js";

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

export const PROBE_PATHS = { live: "/healthz", ready: "/readyz", metrics: "/metrics" } as const;

export interface ProbeOptions {
  readiness: () => Readiness;
  metrics: Metrics;
  /** The tenant's token, or the service's Credentials. */
  token: string | Credentials;
  /** Serve /metrics on this port (false when --metrics-listen gives it its own). */
  serveMetrics: boolean;
}

/** A handler for the probe paths: true when it answered `req`, false for other paths. */
export function probes(opts: ProbeOptions): (req: Request, res: Response) => boolean {
  return (req, res) => {
    const path = requestUrl(req.url).pathname;
    const authorized = () => tenantAuthorized(opts.token, req.headers.authorization);
    switch (path) {
      case PROBE_PATHS.live:
        return answer(req, res, () => reply(res, 200, "ok"));
      case PROBE_PATHS.ready:
        return answer(req, res, () => {
          const r = opts.readiness();
          if (r.ready) return reply(res, 200, "ready");
          reply(res, 503, authorized() ? `${r.state}: ${r.reason}` : r.state);
        });
      case PROBE_PATHS.metrics:
        if (!opts.serveMetrics) return false;
        return answer(req, res, () => {
          if (!authorized()) return reply(res, 401, "missing or invalid bearer token", { "www-authenticate": "Bearer" });
          serveMetrics(opts.metrics, req, res);
        });
      default:
        return false;
    }
  };
}

/** Prometheus text for `req` (GET or HEAD). */
export function serveMetrics(metrics: Metrics, req: Request, res: Response): void {
  metrics.text().then(
    (text) => {
      res.writeHead(200, { "content-type": metrics.contentType, "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? "" : text);
    },
    () => reply(res, 500, "metrics failed"),
  );
}

/** Runs `serve` for GET and HEAD; 405 otherwise. Always true: the path was one of ours. */
function answer(req: Request, res: Response, serve: () => void): true {
  if (req.method !== "GET" && req.method !== "HEAD") reply(res, 405, "method not allowed", { allow: "GET, HEAD" });
  else serve();
  return true;
}

function reply(res: Response, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...extra });
  res.end(`${text}\n`);
}
