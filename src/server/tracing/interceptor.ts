/**
 * One OpenTelemetry span per RPC (kind SERVER, named "<service>/<method>"),
 * a child of the caller's W3C `traceparent` when there is one, ended when
 * the call ends (a stream at its last message or failure). Attributes follow
 * OpenTelemetry's RPC semantic conventions
 * (https://opentelemetry.io/docs/specs/semconv/rpc/rpc-spans/): rpc.system
 * (grpc for gRPC and gRPC-Web, connect_rpc for Connect), rpc.service,
 * rpc.method, rpc.grpc.status_code; a failed call's span has status ERROR
 * and the error's message. Connect-ES has no tracing interceptor upstream
 * (connectrpc/connect-es#523). Uses only @opentelemetry/api: with no SDK
 * registered its spans are no-ops.
 */

import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { context, propagation, SpanKind, SpanStatusCode, type TextMapGetter, type Tracer, trace } from "@opentelemetry/api";
import { withOutcome } from "../transport/outcome.js";

const HEADERS: TextMapGetter<Headers> = {
  get: (carrier, key) => carrier.get(key) ?? undefined,
  keys: (carrier) => [...carrier.keys()],
};

export function callTracing(tracer: Tracer): Interceptor {
  return (next) => async (req) => {
    const parent = propagation.extract(context.active(), req.header, HEADERS);
    const grpc = req.header.get("content-type")?.startsWith("application/grpc") ?? false;
    const span = tracer.startSpan(
      `${req.service.typeName}/${req.method.name}`,
      {
        kind: SpanKind.SERVER,
        attributes: { "rpc.system": grpc ? "grpc" : "connect_rpc", "rpc.service": req.service.typeName, "rpc.method": req.method.name },
      },
      parent,
    );
    return context.with(trace.setSpan(parent, span), () =>
      withOutcome(next, req, (err) => {
        const failure = err === undefined ? undefined : ConnectError.from(err);
        span.setAttribute("rpc.grpc.status_code", failure?.code ?? 0);
        if (failure) span.setStatus({ code: SpanStatusCode.ERROR, message: `${Code[failure.code]}: ${failure.rawMessage}` });
        span.end();
        return err;
      }),
    );
  };
}
