/**
 * A typed DesktopService client over the same generated code. Uses gRPC over
 * HTTP/2 by default (every RPC, bidi Vnc included); `protocol: "connect"` for
 * Connect over HTTP/1.1 or h2, `"grpc-web"` for gRPC-Web (HTTP/1.1 by
 * default). Behind a router that speaks only HTTP/1.1 (docs/deployment.md),
 * use Connect or gRPC-Web over 1.1: every RPC but the bidi Vnc works (VNC
 * goes over the /vnc WebSocket: src/client/vnc-websocket.ts).
 */
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { DesktopService } from "../../gen/desktop/v1/desktop_pb.js";
import { BulkHttp2SessionManager } from "../wire/flow-control.js";
import { noCompressionOffered } from "../wire/incompressible.js";

export interface DesktopClientOptions {
  /** e.g. "http://127.0.0.1:7000" */
  baseUrl: string;
  /** The service's bearer token. */
  token: string;
  /** Wire protocol; "grpc" by default. */
  protocol?: "grpc" | "connect" | "grpc-web" | undefined;
  /** HTTP version for "connect" ("2" by default) and "grpc-web" ("1.1" by default); 1.1 cannot do bidi streams. */
  httpVersion?: "1.1" | "2" | undefined;
  /** PEM CA certificate(s) to trust for an https:// baseUrl (a self-signed server certificate). */
  ca?: string | Buffer | undefined;
  /** More request headers on every call, e.g. a router's `X-Sandbox-ID` (docs/deployment.md). */
  headers?: Record<string, string> | undefined;
  /** More interceptors, run after the client's own (which add the token). */
  interceptors?: Interceptor[] | undefined;
}

export type DesktopClient = Client<typeof DesktopService>;

export function createDesktopClient(opts: DesktopClientOptions): DesktopClient {
  const auth: Interceptor = (next) => (req) => {
    for (const [name, value] of Object.entries(opts.headers ?? {})) req.header.set(name, value);
    req.header.set("authorization", `Bearer ${opts.token}`);
    return next(req);
  };
  const common = {
    baseUrl: opts.baseUrl,
    interceptors: [auth, noCompressionOffered, ...(opts.interceptors ?? [])],
    readMaxBytes: 64 * 1024 * 1024,
  };
  const tls = opts.ca ? { ca: opts.ca } : {};
  // HTTP/2 (gRPC, Connect over h2): windows for bulk streams (src/wire/flow-control.ts).
  const sessionManager = () => new BulkHttp2SessionManager(opts.baseUrl, tls);
  const http1 = opts.httpVersion === "1.1" || (opts.protocol === "grpc-web" && opts.httpVersion === undefined);
  const over = http1 ? { nodeOptions: tls, httpVersion: "1.1" as const } : { sessionManager: sessionManager(), httpVersion: "2" as const };
  const transport =
    opts.protocol === "connect"
      ? createConnectTransport({ ...common, ...over })
      : opts.protocol === "grpc-web"
        ? createGrpcWebTransport({ ...common, ...over })
        : createGrpcTransport({ ...common, sessionManager: sessionManager() });
  return createClient(DesktopService, transport);
}
