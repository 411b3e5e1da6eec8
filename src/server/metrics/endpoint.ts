/**
 * `--metrics-listen`: /metrics on a port of its own, without the bearer
 * token, for a Prometheus scraper that should not hold the desktop's token
 * (the service port then serves no /metrics). HTTP/1.1, or HTTPS with the
 * service's certificate; only `GET /metrics`, everything else 404.
 */
import http from "node:http";
import https from "node:https";
import type net from "node:net";
import { PROBE_PATHS, serveMetrics } from "../probes.js";
import type { TlsFiles } from "../transport/listener.js";
import type { Metrics } from "./metrics.js";

export interface MetricsEndpoint {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function listenMetrics(opts: { host: string; port: number; tls?: TlsFiles; metrics: Metrics }): Promise<MetricsEndpoint> {
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = (req.url ?? "").split("?", 1)[0];
    if (path !== PROBE_PATHS.metrics) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" }).end("method not allowed\n");
      return;
    }
    serveMetrics(opts.metrics, req, res);
  };
  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : http.createServer(handler);
  // A scraper asks every few seconds; nothing here should hold sockets open.
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return {
    url: `${opts.tls ? "https" : "http"}://${host}:${port}${PROBE_PATHS.metrics}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
