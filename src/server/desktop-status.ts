/**
 * The server's view of its desktop, kept in one place: starts it at once (so
 * the first call is fast and failures show early), retries a failed start
 * every 5 s, replaces a desktop that died without waiting for a call, and
 * every 500 ms turns the host's readiness into the gRPC health status
 * (SERVING while ready), the `desktopd_desktop_ready` gauge and the stall
 * count. `/readyz` (src/server/probes.ts) reads `readiness()`.
 */
import type { Logger } from "pino";
import type { DesktopHost, Readiness } from "../desktop/desktop.js";
import { type HealthState, ServingStatus } from "./grpc/health.js";
import type { Metrics } from "./metrics/metrics.js";

/** Time between attempts to start a desktop that failed to start, ms. */
const START_RETRY_MS = 5000;
/** How often the desktop's readiness is looked at, ms. */
const POLL_MS = 500;

export class DesktopStatus {
  private stopped = false;
  private wasReady = false;
  private stalled = false;
  /** When the last start was asked for, performance.now() ms. */
  private attempted = Number.NEGATIVE_INFINITY;
  private poll?: NodeJS.Timeout;

  constructor(
    private readonly host: DesktopHost,
    private readonly health: HealthState,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {
    const started = ({ ms, replacement }: { ms: number; replacement: boolean }) => {
      metrics.desktopStarts.inc({ kind: replacement ? "replacement" : "first", result: "ok" });
      metrics.desktopStartSeconds.observe(ms / 1000);
    };
    // The first desktop may have started before the service was built (src/cli/serve.ts starts it first).
    if (host.firstStartMs !== undefined) started({ ms: host.firstStartMs, replacement: false });
    host.events.on("started", started);
    host.events.on("failed", ({ replacement }) =>
      metrics.desktopStarts.inc({ kind: replacement ? "replacement" : "first", result: "failed" }),
    );
    host.events.on("lost", () => metrics.desktopLosses.inc());
  }

  /** Starts the desktop and begins watching it. */
  start(): void {
    this.attempt();
    this.poll = setInterval(() => this.update(), POLL_MS).unref();
  }

  /** The host's readiness; not ready once shutdown began. */
  readiness(): Readiness {
    if (this.stopped) return { ready: false, state: "closed", reason: "the service is shutting down" };
    return this.host.readiness();
  }

  /** Shutdown began: health says NOT_SERVING from now on, and nothing is started any more. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.poll);
    this.health.set(ServingStatus.NOT_SERVING);
    this.metrics.desktopReady.set(0);
  }

  /** Asks for the desktop (starting or replacing it); a start in progress is joined, not repeated. */
  private attempt(): void {
    if (this.stopped) return;
    this.attempted = performance.now();
    this.host.session().then(
      () => this.update(),
      (err: Error) => {
        if (this.stopped) return;
        this.logger.error({ err: err.message, retryMs: START_RETRY_MS }, "desktop failed to start; retrying (calls retry too)");
      },
    );
  }

  private update(): void {
    if (this.stopped) return;
    const r = this.host.readiness();
    const stalled = !r.ready && r.state === "stalled";
    if (stalled && !this.stalled) {
      this.metrics.desktopStalls.inc();
      this.logger.warn({ reason: r.ready ? undefined : r.reason }, "desktop not answering: health NOT_SERVING");
    } else if (!stalled && this.stalled && r.ready) this.logger.info("desktop answering again: health SERVING");
    this.stalled = stalled;
    // A dead desktop is replaced now, not on the next call, and a failed start is tried again: the pod gets ready without a call.
    if (!r.ready && (r.state === "lost" || (r.state === "starting" && performance.now() - this.attempted >= START_RETRY_MS))) {
      this.attempt();
    }
    if (r.ready !== this.wasReady) {
      this.wasReady = r.ready;
      this.health.set(r.ready ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
      this.metrics.desktopReady.set(r.ready ? 1 : 0);
    }
  }
}
