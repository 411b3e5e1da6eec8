/**
 * Route wiring: which services this server exposes, and the interceptors
 * every call passes through. The HTTP server (src/server/server.ts) and an
 * in-memory transport (`createRouterTransport`, for specs) serve the same.
 */
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { DesktopService } from "../../gen/desktop/v1/desktop_pb.js";
import { Health } from "../../gen/health/v1/health_pb.js";
import { addHealth, type HealthState } from "./grpc/health.js";
import { addReflection } from "./grpc/reflection.js";
import { callMetrics } from "./metrics/interceptor.js";
import type { Metrics } from "./metrics/metrics.js";
import { mapErrors } from "./rpc/errors.js";
import { desktopService, type ServiceOptions } from "./rpc/service.js";
import { bearerAuth } from "./transport/auth.js";
import type { Credentials } from "./transport/credentials.js";
import { callLogger } from "./transport/logging.js";

/** Services reachable without the bearer token. */
export const PUBLIC_SERVICES = [Health.typeName];

/**
 * The services, registered on any router given: one DesktopService
 * implementation for all of them (the HTTP server's and the MCP endpoint's
 * in-process transport), so input order holds across both.
 */
export function routes(opts: ServiceOptions & { health: HealthState }) {
  const desktop = desktopService(opts);
  return (router: ConnectRouter) => {
    router.service(DesktopService, desktop);
    addHealth(router, opts.health, [DesktopService.typeName]);
    addReflection(router, [DesktopService, Health]);
  };
}

/**
 * Outermost first: metrics and one log line per call (with its final code),
 * the bearer token (all but PUBLIC_SERVICES), desktop errors to codes.
 */
export function interceptors(opts: {
  logger: Logger;
  metrics?: Metrics;
  token: string | Credentials;
  shutdownSignal?: AbortSignal;
}): Interceptor[] {
  return [
    ...(opts.metrics ? [callMetrics(opts.metrics)] : []),
    callLogger(opts.logger),
    bearerAuth(opts.token, (service) => PUBLIC_SERVICES.includes(service)),
    mapErrors(opts.shutdownSignal),
  ];
}
