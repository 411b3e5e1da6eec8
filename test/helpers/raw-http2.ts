/**
 * One raw HTTP/2 request (any bytes, any headers) and what came back, for
 * specs that send what no generated client would: malformed bodies, wrong
 * framing. Also reads the RPC status a response carries on each protocol.
 */
import { connect } from "node:http2";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  trailers: Record<string, string>;
}

/** POSTs `body` to `url` + `path` with `headers` over one new HTTP/2 connection. */
export function rawPost(url: string, path: string, headers: Record<string, string>, body: Uint8Array): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const session = connect(url);
    session.on("error", reject);
    const req = session.request({ ":method": "POST", ":path": path, ...headers });
    const out: RawResponse = { status: 0, headers: {}, body: Buffer.alloc(0), trailers: {} };
    const chunks: Buffer[] = [];
    const flat = (h: Record<string, unknown>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, String(v)]));
    req.on("response", (h) => {
      out.status = Number(h[":status"]);
      out.headers = flat(h);
    });
    req.on("trailers", (t) => {
      out.trailers = flat(t);
    });
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      out.body = Buffer.concat(chunks);
      session.close();
      resolve(out);
    });
    req.on("error", (err) => {
      session.destroy();
      reject(err);
    });
    req.end(body);
  });
}

/** Length-prefixed message framing of gRPC, gRPC-Web and Connect streams: flags, 4-byte length, payload. */
export function envelope(payload: Uint8Array, flags = 0): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** The RPC status name (Connect's snake_case: "ok", "invalid_argument", ...) of a response on `protocol`. */
export function rpcStatus(protocol: "grpc" | "grpc-web" | "connect" | "connect-stream", r: RawResponse): string {
  const GRPC = [
    "ok",
    "canceled",
    "unknown",
    "invalid_argument",
    "deadline_exceeded",
    "not_found",
    "already_exists",
    "permission_denied",
    "resource_exhausted",
    "failed_precondition",
    "aborted",
    "out_of_range",
    "unimplemented",
    "internal",
    "unavailable",
    "data_loss",
    "unauthenticated",
  ];
  const frames = (b: Buffer) => {
    const out: { flags: number; payload: Buffer }[] = [];
    for (let i = 0; i + 5 <= b.length; ) {
      const len = b.readUInt32BE(i + 1);
      out.push({ flags: b[i], payload: b.subarray(i + 5, i + 5 + len) });
      i += 5 + len;
    }
    return out;
  };
  switch (protocol) {
    case "grpc":
      return GRPC[Number(r.trailers["grpc-status"] ?? r.headers["grpc-status"])] ?? `http ${r.status}`;
    case "grpc-web": {
      const trailer =
        frames(r.body)
          .find((f) => f.flags & 0x80)
          ?.payload.toString() ?? "";
      const m = /grpc-status: ?(\d+)/.exec(trailer) ?? /(\d+)/.exec(r.headers["grpc-status"] ?? "");
      return m ? GRPC[Number(m[1])] : `http ${r.status}`;
    }
    case "connect":
      return r.status === 200 ? "ok" : (JSON.parse(r.body.toString()).code ?? `http ${r.status}`);
    case "connect-stream": {
      if (r.status !== 200) return JSON.parse(r.body.toString()).code ?? `http ${r.status}`;
      const end = frames(r.body).find((f) => f.flags & 0x02);
      return end ? (JSON.parse(end.payload.toString()).error?.code ?? "ok") : "no end-stream message";
    }
  }
}
