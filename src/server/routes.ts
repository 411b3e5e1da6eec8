/** Route wiring: which services this server exposes. */
import type { ConnectRouter } from "@connectrpc/connect";
import { DesktopService } from "../../gen/desktop/v1/desktop_pb.js";
import { Health } from "../../gen/health/v1/health_pb.js";
import { addHealth, type HealthState } from "./grpc/health.js";
import { addReflection } from "./grpc/reflection.js";
import { desktopService, type ServiceOptions } from "./rpc/service.js";

/** Services reachable without the bearer token. */
export const PUBLIC_SERVICES = [Health.typeName];

export function routes(opts: ServiceOptions & { health: HealthState }) {
  return (router: ConnectRouter) => {
    router.service(DesktopService, desktopService(opts));
    addHealth(router, opts.health, [DesktopService.typeName]);
    addReflection(router, [DesktopService, Health]);
  };
}
