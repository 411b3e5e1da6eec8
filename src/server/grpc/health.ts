/**
 * gRPC health checking (grpc.health.v1.Health): SERVING once the desktop has
 * started, NOT_SERVING before that and while shutting down. Answers for ""
 * (the whole server) and for each service by name; an unknown name is
 * NOT_FOUND (Check) or SERVICE_UNKNOWN (Watch), as the protocol says. Served
 * without the bearer token, so load balancers and probes can ask.
 */
import { EventEmitter, on, once } from "node:events";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { Health, HealthCheckResponseSchema, HealthCheckResponse_ServingStatus as Status } from "../../../gen/health/v1/health_pb.js";

export { Status as ServingStatus };

/** The server's serving status, shared by every name it answers for; emits "change". */
export class HealthState extends EventEmitter<{ change: [] }> {
  private status = Status.NOT_SERVING;

  get(): Status {
    return this.status;
  }

  set(status: Status): void {
    if (status === this.status) return;
    this.status = status;
    this.emit("change");
  }
}

export function addHealth(router: ConnectRouter, state: HealthState, services: string[]): void {
  const known = (name: string) => name === "" || services.includes(name);
  const response = (status: Status) => create(HealthCheckResponseSchema, { status });
  router.service(Health, {
    check(req) {
      if (!known(req.service)) throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
      return response(state.get());
    },
    async *watch(req, ctx: HandlerContext) {
      if (!known(req.service)) {
        yield response(Status.SERVICE_UNKNOWN);
        if (!ctx.signal.aborted) await once(ctx.signal, "abort");
        return;
      }
      // Listening before the first answer, so no change is missed.
      const changes = on(state, "change", { signal: ctx.signal });
      let last = state.get();
      yield response(last);
      try {
        for await (const _ of changes) {
          const now = state.get();
          if (now === last) continue;
          last = now;
          yield response(now);
        }
      } catch (err) {
        if (!ctx.signal.aborted) throw err;
      }
    },
    list() {
      return { statuses: Object.fromEntries(["", ...services].map((name) => [name, response(state.get())])) };
    },
  });
}
