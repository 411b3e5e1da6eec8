/** `desktopd serve`: the service, until SIGINT/SIGTERM. */
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createLogger } from "../logger.js";
import { sweepDeadInstances } from "../os/instance-dir.js";
import { serviceRuntimeDir } from "../os/runtime-dir.js";
import type { RunningServer } from "../server/server.js";
import { Credentials } from "../server/transport/credentials.js";
import { createBackend } from "./backend.js";
import { banner } from "./banner.js";
import { defineCommand, UsageError } from "./command.js";
import { loggableConfig, SERVE_SETTINGS, serveConfig } from "./serve-config.js";
import { readTokenFile, serverToken } from "./token.js";

export const serve = defineCommand({
  name: "serve",
  summary: "serve one desktop over Connect, gRPC and gRPC-Web until SIGINT/SIGTERM",
  description:
    "One port serves every protocol over h2c and HTTP/1.1 (or TLS), and the browser live view at /. " +
    "Every RPC but grpc.health.v1 needs the bearer token.",
  settings: SERVE_SETTINGS,
  async run(values, { env }) {
    const config = serveConfig(values, env);
    let credentials: Credentials | undefined;
    // A claimed desktop's label goes on every line (never a token).
    const logger = createLogger(config.logLevel, () => (credentials?.label ? { claim: credentials.label } : {}));
    logger.info({ config: loggableConfig(config) }, "configuration");
    // Installed first: a signal during startup stops the service once it is up, never leaving a desktop behind.
    let server: RunningServer | undefined;
    let stopSignal: string | undefined;
    const shutdown = (s: RunningServer) =>
      s.close().then(
        () => process.exit(0),
        (err: Error) => {
          logger.error({ err: err.message }, "shutdown failed");
          process.exit(1);
        },
      );
    const stop = (signal: string) => {
      if (stopSignal) {
        logger.warn({ signal }, "second signal: exiting now");
        process.exit(1);
      }
      stopSignal = signal;
      logger.info({ signal, starting: !server }, "signal received");
      if (server) void shutdown(server);
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
    const tls = config.tls && { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) };
    // A container's HOME may be on an empty volume or tmpfs: the desktop's programs need it to exist.
    if (env.HOME) await mkdir(env.HOME, { recursive: true, mode: 0o700 });
    const runtimeDir = await serviceRuntimeDir(config.runtimeDir);
    // A desktopd killed before it could clean up left a desktop running: stop it first.
    await sweepDeadInstances(runtimeDir, logger);
    const bootstrap = config.bootstrap && bootstrapSecret(config.bootstrap);
    const { token, source, generated } = bootstrap
      ? { token: undefined, source: "", generated: false }
      : serverToken(config.token, config.tokenFile);
    credentials = new Credentials({ token, bootstrap });
    const host = await createBackend({ ...config, env, runtimeDir, logger });
    // The desktop starts now, while the rest of the service loads (a third of a cold start); a failure is retried by the service.
    host.session().catch(() => undefined);
    try {
      const { startService } = await import("./serve-service.js");
      server = await startService({ config, host, credentials, runtimeDir, tls, logger });
    } catch (err) {
      await host.close();
      throw err;
    }
    if (stopSignal) return void shutdown(server);
    if (token === undefined) {
      process.stderr.write(`\ndesktopd: serving on ${server.url}, unclaimed: a Claim with the bootstrap secret hands it to a task\n\n`);
      return;
    }
    process.stderr.write(
      banner({
        url: server.url,
        metricsUrl: server.metricsUrl,
        caFile: config.tls?.certFile,
        token,
        tokenSource: source,
        generated,
        showToken: process.stderr.isTTY === true,
      }),
    );
  },
});

/** The bootstrap secret, given or read from its file (UsageError naming the file when it is missing or empty). */
function bootstrapSecret(from: { secret: string } | { file: string }): string {
  if ("secret" in from) return from.secret;
  const secret = readTokenFile(from.file);
  if (!secret) throw new UsageError(`--bootstrap-secret-file ${from.file}: missing or empty`);
  return secret;
}
