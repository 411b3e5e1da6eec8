/** Route wiring: which services this server exposes. */
import type { ConnectRouter } from "@connectrpc/connect";
import { DesktopService } from "../../gen/desktop/v1/desktop_pb.js";
import { desktopService, type ServiceOptions } from "./service.js";

export function routes(opts: ServiceOptions) {
  return (router: ConnectRouter) => {
    router.service(DesktopService, desktopService(opts));
  };
}
