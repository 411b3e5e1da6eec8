/**
 * Traces to an OpenTelemetry collector over OTLP/HTTP (JSON), when
 * `--otlp-endpoint` (OTEL_EXPORTER_OTLP_ENDPOINT) names one; off otherwise,
 * and then none of this is loaded. Spans are batched and sent in the
 * background; the exporter's own settings come from the standard
 * environment (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, ...:
 * https://opentelemetry.io/docs/specs/otel/protocol/exporter/). A collector
 * that is down costs dropped spans, never a failed or slower call.
 */

import type { Interceptor } from "@connectrpc/connect";
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { callTracing } from "./interceptor.js";

export interface Tracing {
  interceptor: Interceptor;
  /** Sends what is queued and stops; resolves within `timeoutMs` even when the collector does not answer. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** The collector's base URL (http://collector:4318); spans go to <endpoint>/v1/traces. */
  endpoint: string;
  version: string;
  /** How long a batch waits before it is sent, ms (the SDK's default: 5000). */
  scheduledDelayMs?: number;
}

export function startTracing(opts: TracingOptions): Tracing {
  const exporter = new OTLPTraceExporter({ url: `${opts.endpoint.replace(/\/+$/, "")}/v1/traces` });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": "desktopd", "service.version": opts.version }),
    spanProcessors: [
      new BatchSpanProcessor({ exporter, ...(opts.scheduledDelayMs ? { scheduledDelayMillis: opts.scheduledDelayMs } : {}) }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    interceptor: callTracing(provider.getTracer("desktopd", opts.version)),
    shutdown: () => provider.shutdown(),
  };
}
