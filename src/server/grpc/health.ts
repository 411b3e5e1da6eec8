/**
 * gRPC health checking (grpc.health.v1.Health): SERVING once the desktop has
 * started, NOT_SERVING before that and while shutting down. Answers for ""
 * (the whole server) and for each service by name; an unknown name is
 * NOT_FOUND (Check) or SERVICE_UNKNOWN (Watch), as the protocol says. Served
 * without the bearer token, so load balancers and probes can ask.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { Health, HealthCheckResponseSchema, HealthCheckResponse_ServingStatus as Status } from "../../../gen/health/v1/health_pb.js";

export { Status as ServingStatus };

/** The server's serving status, shared by every name it answers for. */
export class HealthState {
  private status = Status.NOT_SERVING;
  private readonly listeners = new Set<() => void>();

  get(): Status {
    return this.status;
  }

  set(status: Status): void {
    if (status === this.status) return;
    this.status = status;
    for (const l of this.listeners) l();
  }

  /** Calls `fn` after each change until the returned function is called. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
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
        await new Promise((r) => ctx.signal.addEventListener("abort", r, { once: true }));
        return;
      }
      let changed: () => void = () => undefined;
      const off = state.onChange(() => changed());
      try {
        for (let last: Status | undefined; ; ) {
          const now = state.get();
          if (now !== last) yield response((last = now));
          if (ctx.signal.aborted) return;
          await new Promise<void>((r) => {
            changed = r;
            if (state.get() !== last) r();
            ctx.signal.addEventListener("abort", () => r(), { once: true });
          });
        }
      } finally {
        off();
      }
    },
    list() {
      return { statuses: Object.fromEntries(["", ...services].map((name) => [name, response(state.get())])) };
    },
  });
}
