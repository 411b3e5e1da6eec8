/**
 * Request bytes that are not a valid message get INVALID_ARGUMENT on every
 * protocol (never INTERNAL), and the server goes on serving. Raw HTTP/2
 * requests to a real server with a FakeDesktop behind it; then fast-check
 * throws arbitrary bodies at every protocol and method.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { useFakeServer } from "../helpers/fake-server.js";
import { envelope, rawPost, rpcStatus } from "../helpers/raw-http2.js";

type Protocol = "grpc" | "grpc-web" | "connect" | "connect-stream";
const CONTENT_TYPE: Record<Protocol, string> = {
  grpc: "application/grpc+proto",
  "grpc-web": "application/grpc-web+proto",
  connect: "application/proto",
  "connect-stream": "application/connect+proto",
};
/** A protobuf that cannot be decoded: a field with the reserved wire type 7. */
const UNDECODABLE = Uint8Array.of(0x0f, 0x01, 0x02);

const METHODS = [
  { name: "Action", unary: true },
  { name: "GetDisplay", unary: true },
  { name: "StopRecording", unary: false },
  { name: "Screenshot", unary: false },
  { name: "Vnc", unary: false },
];

describe("undecodable requests", () => {
  const t = useFakeServer();
  const post = (protocol: Protocol, method: string, body: Uint8Array) =>
    rawPost(
      t().url,
      `/desktop.v1.DesktopService/${method}`,
      {
        "content-type": CONTENT_TYPE[protocol],
        authorization: `Bearer ${t().token}`,
        // Streams that decode fine would run on: a deadline ends them.
        ...(protocol.startsWith("grpc") ? { te: "trailers", "grpc-timeout": "300m" } : { "connect-timeout-ms": "300" }),
      },
      protocol === "connect" ? body : envelope(body),
    );

  for (const protocol of ["grpc", "grpc-web", "connect-stream"] as const) {
    for (const m of METHODS.filter((m) => protocol !== "connect-stream" || !m.unary)) {
      it(`${protocol} ${m.name}: INVALID_ARGUMENT`, async () => {
        assert.equal(rpcStatus(protocol, await post(protocol, m.name, UNDECODABLE)), "invalid_argument");
      });
    }
  }
  for (const m of METHODS.filter((m) => m.unary)) {
    it(`connect (unary, binary) ${m.name}: HTTP 400, INVALID_ARGUMENT`, async () => {
      const r = await post("connect", m.name, UNDECODABLE);
      assert.equal(r.status, 400);
      assert.equal(rpcStatus("connect", r), "invalid_argument");
    });
  }

  it("arbitrary bodies on every protocol and method: only OK or documented codes, never INTERNAL or UNKNOWN", async () => {
    const documented = new Set([
      "ok",
      "invalid_argument",
      "deadline_exceeded",
      "not_found",
      "unimplemented",
      "resource_exhausted",
      "failed_precondition",
    ]);
    const protocols: Protocol[] = ["grpc", "grpc-web", "connect", "connect-stream"];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...protocols),
        fc.constantFrom(...METHODS),
        fc.uint8Array({ maxLength: 64 }),
        async (protocol, m, body) => {
          if (protocol === "connect" && !m.unary) return;
          if (protocol === "connect-stream" && m.unary) return;
          const status = rpcStatus(protocol, await post(protocol, m.name, body));
          assert.ok(documented.has(status), `${protocol} ${m.name} ${Buffer.from(body).toString("hex")}: ${status}`);
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 1000) },
    );
    // Still serving.
    assert.equal(rpcStatus("grpc", await post("grpc", "GetDisplay", new Uint8Array())), "ok");
  });
});
