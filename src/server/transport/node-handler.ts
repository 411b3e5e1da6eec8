/**
 * The Node request handler for the Connect router: connect-node's adapter
 * (`connectNodeAdapter`, same path lookup and fallback; the response written
 * by src/server/transport/response-writer.ts, which does not hang on a
 * stream the client reset), plus the origin
 * policy (src/server/transport/origins.ts: CORS for allowed origins, 403 for
 * others), no response compression for the RPCs that send compressed or
 * incompressible bytes (src/wire/incompressible.ts: the client's offer is
 * dropped before connect-es negotiates, so a compressed request still
 * decodes), and one correction: a request message that cannot be decoded is
 * INVALID_ARGUMENT on every protocol.
 *
 * Why: connect-es decodes a request before any interceptor runs and reports
 * an undecodable protobuf as INTERNAL ("parse binary: ..."; see
 * createBinarySerialization in @connectrpc/connect's protocol/serialization),
 * which tells a client the server failed when its own bytes were at fault
 * (gRPC status codes: https://grpc.github.io/grpc/core/md_doc_statuscodes.html).
 * The error is recognised by that message and rewritten where each protocol
 * carries it: gRPC trailers, the gRPC-Web trailer frame, the Connect unary
 * error body (HTTP 500 -> 400) and the Connect end-of-stream message.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { Code, ConnectError, type ConnectRouter, createConnectRouter, type Interceptor } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { ACCEPT_ENCODING_HEADERS, INCOMPRESSIBLE_RESPONSES } from "../../wire/incompressible.js";
import type { OriginPolicy } from "./origins.js";
import { writeResponse } from "./response-writer.js";

type NodeRequest = IncomingMessage | Http2ServerRequest;
type NodeResponse = ServerResponse | Http2ServerResponse;

export interface NodeHandlerOptions {
  routes: (router: ConnectRouter) => void;
  interceptors: Interceptor[];
  readMaxBytes: number;
  writeMaxBytes: number;
  shutdownSignal: AbortSignal;
  /** Requests for paths that are no RPC (the live view's files). */
  fallback: (req: NodeRequest, res: NodeResponse) => void;
  /** Which browser origins may call, and the scheme the service is reached over. */
  origins: OriginPolicy;
  scheme: "http" | "https";
  logger: Logger;
}

/** What connect-es says when a request message is not valid protobuf. */
const UNDECODABLE = "parse binary:";
const GRPC_WEB_TRAILER = 0x80;
const CONNECT_END_STREAM = 0x02;

export function nodeHandler(opts: NodeHandlerOptions): (req: NodeRequest, res: NodeResponse) => void {
  const router = createConnectRouter({
    interceptors: opts.interceptors,
    readMaxBytes: opts.readMaxBytes,
    writeMaxBytes: opts.writeMaxBytes,
    shutdownSignal: opts.shutdownSignal,
    acceptCompression: [compressionGzip, compressionBrotli],
  });
  opts.routes(router);
  const paths = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, h]));
  return (req, res) => {
    const handler = paths.get(req.url?.split("?", 2)[0] ?? "");
    if (!handler) return opts.fallback(req, res);
    if (opts.origins.gate(req, res, { scheme: opts.scheme, logger: opts.logger, what: handler.requestPath })) return;
    if (INCOMPRESSIBLE_RESPONSES.has(handler.requestPath)) for (const h of ACCEPT_ENCODING_HEADERS) delete req.headers[h];
    handler(universalRequestFromNodeRequest(req, res, undefined, undefined))
      .then((uRes) => writeResponse(undecodableAsInvalidArgument(uRes, opts.logger, handler.requestPath), res))
      .catch((reason: unknown) => {
        const code = ConnectError.from(reason).code;
        if (code === Code.Aborted || code === Code.Canceled) return;
        opts.logger.error({ rpc: handler.requestPath, err: String(reason) }, "writing the response failed");
      });
  };
}

/** `res` with an undecodable-request INTERNAL turned into INVALID_ARGUMENT (see the module comment). */
export function undecodableAsInvalidArgument(res: UniversalServerResponse, logger: Logger, rpc: string): UniversalServerResponse {
  const body = res.body;
  const found = () => logger.info({ rpc }, "undecodable request message: INVALID_ARGUMENT");
  fixGrpcStatus(res.header, found);
  if (!body) return res;
  const out: UniversalServerResponse = { ...res };
  out.body = (async function* () {
    for await (const chunk of body) yield fixChunk(chunk, out, found);
    // gRPC trailers are filled in as the body ends, and written after it.
    fixGrpcStatus(res.trailer, found);
  })();
  return out;
}

function fixGrpcStatus(h: Headers | undefined, found: () => void): void {
  if (h?.get("grpc-status") !== "13" || !decode(h.get("grpc-message") ?? "").startsWith(UNDECODABLE)) return;
  h.set("grpc-status", String(Code.InvalidArgument));
  found();
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The Connect JSON error `{code, message}` of `json`, as INVALID_ARGUMENT when it is the undecodable one; undefined when not. */
function fixedConnectError(json: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(json) as { code?: string; message?: string; error?: { code?: string; message?: string } };
    const err = v.error ?? v;
    if (err.code !== "internal" || !err.message?.startsWith(UNDECODABLE)) return undefined;
    err.code = "invalid_argument";
    return v;
  } catch {
    return undefined;
  }
}

/** One envelope (flags, 4-byte big-endian length, payload) when `chunk` is exactly one. */
function envelope(chunk: Uint8Array): { flags: number; payload: Buffer } | undefined {
  if (chunk.length < 5) return undefined;
  const b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return b.readUInt32BE(1) === b.length - 5 ? { flags: b[0], payload: b.subarray(5) } : undefined;
}

function enveloped(flags: number, payload: string): Uint8Array {
  const p = Buffer.from(payload);
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(p.length, 1);
  return Buffer.concat([head, p]);
}

function fixChunk(chunk: Uint8Array, res: UniversalServerResponse, found: () => void): Uint8Array {
  // Connect unary error: HTTP status and a JSON body.
  if (res.status === 500 && res.header?.get("content-type")?.startsWith("application/json")) {
    const fixed = fixedConnectError(Buffer.from(chunk).toString());
    if (!fixed) return chunk;
    res.status = 400;
    res.header.delete("content-length");
    found();
    return Buffer.from(JSON.stringify(fixed));
  }
  const env = envelope(chunk);
  if (env?.flags === GRPC_WEB_TRAILER) {
    const text = env.payload.toString();
    if (!/^grpc-status: ?13\r?$/m.test(text) || !/^grpc-message: ?parse(%20| )binary/m.test(text)) return chunk;
    found();
    return enveloped(env.flags, text.replace(/^grpc-status: ?13/m, `grpc-status: ${Code.InvalidArgument}`));
  }
  if (env && env.flags & CONNECT_END_STREAM) {
    const fixed = fixedConnectError(env.payload.toString());
    if (!fixed) return chunk;
    found();
    return enveloped(env.flags, JSON.stringify(fixed));
  }
  return chunk;
}
