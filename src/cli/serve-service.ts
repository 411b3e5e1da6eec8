/**
 * `desktopd serve` past the desktop's start: the parts of the service that
 * are loaded while the desktop starts (src/cli/serve.ts imports this module
 * only after launching it): recordings, the file root, traces and the
 * server itself.
 */
import type { Logger } from "pino";
import { DEFAULT_IDLE_SPEEDUP, type DesktopHost } from "../desktop/desktop.js";
import { FileRoot } from "../files/file-root.js";
import { PartialUploads, sweepPartialUploads } from "../files/partial-uploads.js";
import { startingFiles } from "../files/root-template.js";
import { Recordings } from "../recordings/recordings.js";
import { type RunningServer, startServer } from "../server/server.js";
import { CONNECTION_LIMITS } from "../server/transport/connection-limits.js";
import type { Credentials } from "../server/transport/credentials.js";
import { SERVICE_VERSION } from "../version.js";
import { UsageError } from "./command.js";
import type { ServeConfig } from "./serve-config.js";

export interface ServiceParts {
  config: ServeConfig;
  host: DesktopHost;
  credentials: Credentials;
  runtimeDir: string;
  tls?: { cert: Buffer; key: Buffer };
  logger: Logger;
}

/** Starts the service around a desktop host; UsageError for a bad `--file-root-template`. */
export async function startService({ config, host, credentials, runtimeDir, tls, logger }: ServiceParts): Promise<RunningServer> {
  const idleSpeedup = config.idleSpeedup === 0 ? "off" : { ...DEFAULT_IDLE_SPEEDUP, factor: config.idleSpeedup };
  const recordings = await Recordings.create({ host, logger, runtimeDir, idleSpeedup });
  const connectionLimits = { ...CONNECTION_LIMITS, maxConnections: config.maxConnections };
  const files = config.fileRoot === undefined ? undefined : new FileRoot(config.fileRoot, { partials: PartialUploads.in(runtimeDir) });
  // Uploads a killed desktopd left half done must not linger in the root.
  if (files) await sweepPartialUploads(runtimeDir, files, logger);
  const fileTemplate =
    files && config.fileRootTemplate
      ? await startingFiles(config.fileRootTemplate, files.root, logger).catch((err: Error) => {
          throw new UsageError(err.message);
        })
      : undefined;
  // Loaded only when a collector is named: most desktops send no traces.
  const tracing = config.otlpEndpoint
    ? (await import("../server/tracing/tracing.js")).startTracing({ endpoint: config.otlpEndpoint, version: SERVICE_VERSION })
    : undefined;
  return startServer({
    desktop: host,
    token: credentials,
    logger,
    ...config.listen,
    recordings,
    tls,
    connectionLimits,
    allowOrigins: config.allowOrigins,
    files,
    resetFiles: config.resetFiles,
    fileTemplate,
    metricsListen: config.metricsListen,
    tracing,
  });
}
