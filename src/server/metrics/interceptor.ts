/**
 * Counts and times every RPC into the Metrics (grpc_server_* as
 * go-grpc-middleware's Prometheus provider names them), unauthenticated ones
 * too; a stream counts as open until its last message or failure.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { withOutcome } from "../transport/outcome.js";
import type { GrpcType, Metrics } from "./metrics.js";

const GRPC_TYPE: Record<string, GrpcType> = {
  unary: "unary",
  client_streaming: "client_stream",
  server_streaming: "server_stream",
  bidi_streaming: "bidi_stream",
};

export function callMetrics(metrics: Metrics): Interceptor {
  return (next) => async (req) => {
    const start = performance.now();
    const grpc_type = GRPC_TYPE[req.method.methodKind] ?? "unary";
    const labels = { grpc_type, grpc_service: req.service.typeName, grpc_method: req.method.name };
    metrics.started.inc(labels);
    const streaming = grpc_type !== "unary";
    if (streaming) metrics.openStreams.inc({ grpc_method: req.method.name });
    return withOutcome(next, req, (err) => {
      const code = err === undefined ? "OK" : Code[ConnectError.from(err).code];
      metrics.handled.inc({ ...labels, grpc_code: code });
      metrics.handling.observe(labels, (performance.now() - start) / 1000);
      if (streaming) metrics.openStreams.dec({ grpc_method: req.method.name });
      return err;
    });
  };
}
