/**
 * The service's Prometheus metrics, in one registry per server (prom-client:
 * https://github.com/siimon/prom-client). RPC metrics use the names of
 * go-grpc-middleware's Prometheus provider (`grpc_server_*`, labels
 * grpc_type/grpc_service/grpc_method/grpc_code), so existing gRPC dashboards
 * read them; what is the desktop's own is `desktopd_*`. Node's process
 * metrics (RSS, heap, event-loop lag) come with them. Durations are seconds,
 * sizes bytes, as Prometheus names them.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The gRPC kind of a method, as grpc_type spells it. */
export type GrpcType = "unary" | "client_stream" | "server_stream" | "bidi_stream";

/** Parts of one Action (src/server/rpc/phases.ts). */
export type ActionPhase = "order" | "input" | "settle" | "capture" | "encode";

/** Where VNC bytes went through the service. */
export type VncPath = "rpc" | "websocket";

const RPC_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const PHASE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const START_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

export class Metrics {
  readonly registry = new Registry();
  private readonly r = [this.registry];

  readonly started = new Counter({
    name: "grpc_server_started_total",
    help: "RPCs started on the server.",
    labelNames: ["grpc_type", "grpc_service", "grpc_method"] as const,
    registers: this.r,
  });
  readonly handled = new Counter({
    name: "grpc_server_handled_total",
    help: "RPCs completed on the server, by gRPC status code (streams when they end).",
    labelNames: ["grpc_type", "grpc_service", "grpc_method", "grpc_code"] as const,
    registers: this.r,
  });
  readonly handling = new Histogram({
    name: "grpc_server_handling_seconds",
    help: "Time from the start of an RPC to its end (the last message of a stream), seconds.",
    labelNames: ["grpc_type", "grpc_service", "grpc_method"] as const,
    buckets: RPC_BUCKETS,
    registers: this.r,
  });
  readonly openStreams = new Gauge({
    name: "desktopd_open_streams",
    help: "Streaming RPCs in progress (Screenshot, Vnc, transfers, health Watch).",
    labelNames: ["grpc_method"] as const,
    registers: this.r,
  });
  readonly actionPhases = new Histogram({
    name: "desktopd_action_phase_seconds",
    help: "Time an Action spent in each phase: order (waiting for the app to take earlier input of the other kind), input, settle, capture, encode; seconds.",
    labelNames: ["phase"] as const,
    buckets: PHASE_BUCKETS,
    registers: this.r,
  });
  readonly desktopStarts = new Counter({
    name: "desktopd_desktop_starts_total",
    help: "Desktops started: the first one, or replacements of one that died or stalled; result=failed for starts that failed.",
    labelNames: ["kind", "result"] as const,
    registers: this.r,
  });
  readonly desktopStartSeconds = new Histogram({
    name: "desktopd_desktop_start_seconds",
    help: "Time to start a desktop (X server, window manager, first round trips), seconds.",
    buckets: START_BUCKETS,
    registers: this.r,
  });
  readonly desktopLosses = new Counter({
    name: "desktopd_desktop_lost_total",
    help: "Desktops that died or stalled for good.",
    registers: this.r,
  });
  readonly desktopStalls = new Counter({
    name: "desktopd_desktop_stalls_total",
    help: "Times the desktop stopped answering within the request limit.",
    registers: this.r,
  });
  readonly desktopReady = new Gauge({
    name: "desktopd_desktop_ready",
    help: "1 while the desktop is ready for input (what /readyz reports), else 0.",
    registers: this.r,
  });
  readonly connections = new Gauge({
    name: "desktopd_connections",
    help: "Open TCP connections to the service port.",
    registers: this.r,
  });
  readonly recordings = new Gauge({
    name: "desktopd_recordings_active",
    help: "Screen recordings in progress.",
    registers: this.r,
  });
  readonly vncViewers = new Gauge({
    name: "desktopd_vnc_viewers",
    help: "VNC connections relayed now: the Vnc RPC (path=rpc) or the /vnc WebSocket (path=websocket).",
    labelNames: ["path"] as const,
    registers: this.r,
  });
  readonly vncBytes = new Counter({
    name: "desktopd_vnc_relayed_bytes_total",
    help: "RFB bytes relayed between viewers and the desktop's VNC server, bytes.",
    labelNames: ["path", "direction"] as const,
    registers: this.r,
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Prometheus text exposition format 0.0.4. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Gauges read when scraped: `read` is called on every scrape. */
  observe(gauge: Gauge, read: () => number): void {
    // prom-client's collect hook runs right before each scrape.
    (gauge as unknown as { collect?: () => void }).collect = () => gauge.set(read());
  }

  /** One relayed VNC connection on `path`: counts it open until `done()`, and its bytes each way. */
  vncRelay(path: VncPath): VncRelayMeter {
    this.vncViewers.inc({ path });
    let open = true;
    return {
      toViewer: (bytes) => this.vncBytes.inc({ path, direction: "to_viewer" }, bytes),
      toDesktop: (bytes) => this.vncBytes.inc({ path, direction: "to_desktop" }, bytes),
      done: () => {
        if (open) this.vncViewers.dec({ path });
        open = false;
      },
    };
  }
}

/** Counts one relayed VNC connection (Metrics.vncRelay). */
export interface VncRelayMeter {
  toViewer(bytes: number): void;
  toDesktop(bytes: number): void;
  /** The connection ended; idempotent. */
  done(): void;
}

/** A meter that counts nothing, when a server keeps no metrics. */
export const NO_VNC_METER: VncRelayMeter = { toViewer() {}, toDesktop() {}, done() {} };
