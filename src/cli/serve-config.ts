/**
 * `desktopd serve`'s configuration: one settings table (flags, then
 * environment, then defaults), the typed ServeConfig built from it in one
 * place, and the checks that span settings. `serve --help` is generated from
 * the same table.
 */
import { homedir } from "node:os";
import { DEFAULT_GEOMETRY, DEFAULT_IDLE_SPEEDUP } from "../desktop/desktop.js";
import type { Size } from "../desktop/geometry.js";
import type { Release } from "../desktop/portable/binary.js";
import { STALL_DEFAULTS, type StallLimits } from "../desktop/stall.js";
import { defaultRuntimeDir } from "../os/runtime-dir.js";
import { DEFAULTS as SERVER } from "../server/defaults.js";
import { CONNECTION_LIMITS } from "../server/transport/connection-limits.js";
import { parseOrigin } from "../server/transport/origins.js";
import { type Env, flag, list, oneOf, parse, text, UsageError, type Values } from "./command.js";
import {
  formatSize,
  isLoopback,
  LOG_LEVEL,
  parseCommand,
  parseCount,
  parseHttpUrl,
  parseListen,
  parseMs,
  parseSize,
  releaseSettings,
} from "./settings.js";
import { TOKEN_FILE, tokenFilePath } from "./token.js";

/** Highest idle speed-up factor a server may set. */
const MAX_IDLE_SPEEDUP = 1000;

function parseIdleSpeedup(raw: string, source: string): number {
  const factor = Number(raw);
  if (raw.trim() === "" || !(factor === 0 || (factor > 1 && factor <= MAX_IDLE_SPEEDUP))) {
    throw new Error(`${source}: expected 0 (off) or a factor above 1 up to ${MAX_IDLE_SPEEDUP}, got "${raw}"`);
  }
  return factor;
}

export const SERVE_SETTINGS = {
  listen: text({
    flag: "listen",
    value: "HOST:PORT",
    env: "DESKTOPD_LISTEN",
    default: `${SERVER.host}:${SERVER.port}`,
    help: "address to listen on; a non-loopback host needs TLS, or --insecure for cleartext",
    parse: parseListen,
  }),
  tlsCert: text({
    flag: "tls-cert",
    value: "FILE",
    env: "DESKTOPD_TLS_CERT",
    help: "PEM certificate chain: HTTP/2 and HTTP/1.1 over TLS on the same port (ALPN); needs --tls-key",
  }),
  tlsKey: text({ flag: "tls-key", value: "FILE", env: "DESKTOPD_TLS_KEY", help: "PEM private key of --tls-cert" }),
  insecure: flag({
    flag: "insecure",
    help: "allow a non-loopback --listen (or --metrics-listen) address without TLS: only where something else encrypts the traffic (a service mesh's mTLS)",
  }),
  metricsListen: text({
    flag: "metrics-listen",
    value: "HOST:PORT",
    env: "DESKTOPD_METRICS_LISTEN",
    defaultHelp: "none: /metrics on the service port, behind the token",
    help: "serve Prometheus /metrics on this address without the token (and not on the service port); TLS as --listen",
    parse: parseListen,
  }),
  otlpEndpoint: text({
    flag: "otlp-endpoint",
    value: "URL",
    env: "OTEL_EXPORTER_OTLP_ENDPOINT",
    defaultHelp: "none: no traces",
    help: "send a trace span per RPC to this OpenTelemetry collector (OTLP/HTTP; spans go to URL/v1/traces; the exporter's other OTEL_EXPORTER_OTLP_* settings apply)",
    parse: parseHttpUrl,
  }),
  allowOrigin: list({
    flag: "allow-origin",
    value: "ORIGIN",
    help: "a web origin (https://app.example:8443) whose pages may call the API (CORS for Connect and gRPC-Web) and open /vnc viewers; repeatable; none by default besides the service's own",
    parse: parseOrigin,
  }),
  maxConnections: text({
    flag: "max-connections",
    value: "N",
    env: "DESKTOPD_MAX_CONNECTIONS",
    default: String(CONNECTION_LIMITS.maxConnections),
    help: "open connections at most; past it the oldest idle connection without a valid token is closed for the new one (logged). Idle connections are closed: 10 s to send a request, HTTP/2 sessions after 120 s without a stream",
    parse: parseCount(1, 100_000),
  }),
  backend: oneOf(["auto", "builtin", "portabledesktop"], {
    flag: "backend",
    env: "DESKTOPD_BACKEND",
    default: "auto",
    help: "desktop backend; auto is portabledesktop when its binary resolves without a download, else builtin",
  }),
  portabledesktop: text({
    flag: "portabledesktop",
    value: "PATH",
    help: "the portabledesktop binary to use (first in the resolution order)",
  }),
  ...releaseSettings(false),
  geometry: text({
    flag: "geometry",
    value: "WxH",
    default: formatSize(DEFAULT_GEOMETRY),
    help: "native framebuffer size, pixels, depth 24",
    parse: parseSize,
  }),
  open: list({
    flag: "open",
    value: "CMD",
    help: 'app started in the desktop once it is up, split on spaces, no shell: --open "xterm -geometry 100x30"',
    parse: parseCommand,
  }),
  desktopTimeout: text({
    flag: "desktop-timeout",
    value: "MS",
    env: "DESKTOPD_DESKTOP_TIMEOUT_MS",
    default: String(STALL_DEFAULTS.requestTimeoutMs),
    help: "time one request to the desktop (an X request, a portabledesktop command) may take; then the call fails UNAVAILABLE and sends no input",
    parse: parseMs(100, 600_000),
  }),
  replaceAfter: text({
    flag: "replace-after",
    value: "MS",
    env: "DESKTOPD_REPLACE_AFTER_MS",
    default: String(STALL_DEFAULTS.replaceAfterMs),
    help: "a desktop that stays unresponsive this long is replaced by a new one (health is NOT_SERVING meanwhile)",
    parse: parseMs(1000, 3_600_000),
  }),
  idleSpeedup: text({
    flag: "idle-speedup",
    value: "F",
    default: String(DEFAULT_IDLE_SPEEDUP.factor),
    help: "recordings play idle spans F times faster, 0 turns it off; a recording may choose for itself",
    parse: parseIdleSpeedup,
  }),
  runtimeDir: text({
    flag: "runtime-dir",
    value: "DIR",
    env: "DESKTOPD_RUNTIME_DIR",
    defaultHelp: "$XDG_RUNTIME_DIR/desktopd, else /tmp/desktopd-<uid>",
    help: "private state (recordings); created 0700, refused if another user owns it",
  }),
  fileRoot: text({
    flag: "file-root",
    value: "DIR",
    env: "DESKTOPD_FILE_ROOT",
    defaultHelp: "the desktop user's home",
    help: "the directory UploadFile, DownloadFile and ListFiles work in; paths may not leave it",
  }),
  noFiles: flag({ flag: "no-files", help: "turn the file RPCs off (PERMISSION_DENIED)" }),
  resetFiles: flag({
    flag: "reset-files",
    help: "Reset empties the file root (everything in it is deleted: use a root of the desktop's own, never a home with your files); kept otherwise",
  }),
  fileRootTemplate: text({
    flag: "file-root-template",
    value: "DIR",
    env: "DESKTOPD_FILE_ROOT_TEMPLATE",
    defaultHelp: "none: Reset leaves the root empty",
    help: "the file root's starting contents: Reset empties the root and copies DIR in (implies --reset-files), and an empty root gets a copy at start; DIR must lie outside the root (a read-only mount)",
  }),
  token: text({ env: "DESKTOPD_TOKEN", defaultHelp: "the token file's, generated at first start", help: "the bearer token" }),
  bootstrapSecretFile: text({
    flag: "bootstrap-secret-file",
    value: "FILE",
    env: "DESKTOPD_BOOTSTRAP_SECRET_FILE",
    defaultHelp: "none: the service starts with its token",
    help: "start unclaimed, for a warm pool: only a Claim carrying the secret in this file is accepted, and it sets the task's token",
  }),
  bootstrapSecret: text({ env: "DESKTOPD_BOOTSTRAP_SECRET", help: "the bootstrap secret itself, instead of a file" }),
  tokenFile: TOKEN_FILE,
  logLevel: LOG_LEVEL,
};

export interface ServeConfig {
  listen: { host: string; port: number };
  /** Certificate chain and key files; cleartext when unset. */
  tls?: { certFile: string; keyFile: string };
  insecure: boolean;
  /** Where /metrics is served without the token; on the service port behind it when unset. */
  metricsListen?: { host: string; port: number };
  /** The OpenTelemetry collector's base URL; no traces when unset. */
  otlpEndpoint?: string;
  /** Open connections at most. */
  maxConnections: number;
  /** Web origins besides the service's own allowed to call and view. */
  allowOrigins: string[];
  backend: "auto" | "builtin" | "portabledesktop";
  /** --portabledesktop PATH. */
  portabledesktop?: string;
  /** Overrides of the portabledesktop release to download. */
  release: Partial<Release>;
  /** Native framebuffer size, pixels. */
  geometry: Size;
  /** Apps to start on the desktop (argv arrays). */
  open: string[][];
  /** Time limits for a desktop that stops answering. */
  limits: StallLimits;
  /** Idle speed-up factor of recordings; 0 = off. */
  idleSpeedup: number;
  runtimeDir: string;
  /** The file RPCs' root directory; undefined with --no-files. */
  fileRoot?: string;
  /** Reset empties the file root. */
  resetFiles: boolean;
  /** Reset then copies this directory in (and an empty root gets a copy at start). */
  fileRootTemplate?: string;
  /** The bearer token when DESKTOPD_TOKEN gives it. */
  token?: string;
  /** Start unclaimed: the bootstrap secret, or the file that holds it. */
  bootstrap?: { secret: string } | { file: string };
  tokenFile: string;
  logLevel: string;
}

/**
 * The serve configuration from parsed settings: computed defaults filled in
 * from `env`, and the checks that span settings (UsageError).
 */
export function serveConfig(v: Values<typeof SERVE_SETTINGS>, env: Env): ServeConfig {
  if (!v.tlsCert !== !v.tlsKey) throw new UsageError("--tls-cert and --tls-key go together");
  const tls = v.tlsCert && v.tlsKey ? { certFile: v.tlsCert, keyFile: v.tlsKey } : undefined;
  if (!isLoopback(v.listen.host) && !tls && !v.insecure) {
    throw new UsageError(
      `--listen ${v.listen.host}: refusing a non-loopback address without TLS; pass --tls-cert/--tls-key, or --insecure to allow cleartext`,
    );
  }
  if (v.metricsListen && !isLoopback(v.metricsListen.host) && !tls && !v.insecure) {
    throw new UsageError(
      `--metrics-listen ${v.metricsListen.host}: refusing a non-loopback address without TLS; pass --tls-cert/--tls-key, or --insecure to allow cleartext`,
    );
  }
  if (v.metricsListen && v.metricsListen.port === v.listen.port && v.metricsListen.port !== 0) {
    throw new UsageError(`--metrics-listen: port ${v.metricsListen.port} is the service's own; pick another`);
  }
  if (v.replaceAfter <= v.desktopTimeout) throw new UsageError("--replace-after must be longer than --desktop-timeout");
  if ((v.bootstrapSecret !== undefined || v.bootstrapSecretFile !== undefined) && v.token !== undefined) {
    throw new UsageError("DESKTOPD_TOKEN and a bootstrap secret do not go together: a warm desktop gets its token from a Claim");
  }
  // Reset deletes everything in the root: never the default, the user's home.
  if ((v.resetFiles || v.fileRootTemplate !== undefined) && (v.noFiles || v.fileRoot === undefined)) {
    const flag = v.resetFiles ? "--reset-files" : "--file-root-template";
    throw new UsageError(
      `${flag} needs --file-root (or DESKTOPD_FILE_ROOT): Reset deletes everything in the root, and the default root is $HOME`,
    );
  }
  return {
    listen: v.listen,
    tls,
    insecure: v.insecure,
    metricsListen: v.metricsListen,
    otlpEndpoint: v.otlpEndpoint,
    maxConnections: v.maxConnections,
    allowOrigins: v.allowOrigin,
    backend: v.backend,
    portabledesktop: v.portabledesktop,
    release: { version: v.version, url: v.url, sha256: v.sha256 },
    geometry: v.geometry,
    open: v.open,
    limits: { requestTimeoutMs: v.desktopTimeout, replaceAfterMs: v.replaceAfter },
    idleSpeedup: v.idleSpeedup,
    runtimeDir: v.runtimeDir ?? defaultRuntimeDir(env),
    fileRoot: v.noFiles ? undefined : (v.fileRoot ?? env.HOME ?? homedir()),
    resetFiles: v.resetFiles || v.fileRootTemplate !== undefined,
    fileRootTemplate: v.fileRootTemplate,
    token: v.token,
    bootstrap:
      v.bootstrapSecret !== undefined
        ? { secret: v.bootstrapSecret }
        : v.bootstrapSecretFile !== undefined
          ? { file: v.bootstrapSecretFile }
          : undefined,
    tokenFile: tokenFilePath(env, v.tokenFile),
    logLevel: v.logLevel,
  };
}

/** `serveConfig` of `argv` and `env` (flags, then environment, then defaults). */
export function loadServeConfig(argv: string[], env: Env): ServeConfig {
  return serveConfig(parse({ name: "serve", settings: SERVE_SETTINGS }, argv, env).values, env);
}

/** The configuration for the start log line: the token shown only as "(set)". */
export function loggableConfig(config: ServeConfig): Record<string, unknown> {
  const bootstrap = config.bootstrap && ("file" in config.bootstrap ? config.bootstrap : "(set)");
  return { ...config, token: config.token === undefined ? undefined : "(set)", bootstrap };
}
