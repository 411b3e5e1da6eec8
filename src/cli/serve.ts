/** `desktopd serve`: the service, until SIGINT/SIGTERM. */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { DEFAULT_IDLE_SPEEDUP } from "../desktop/desktop.js";
import { Recordings } from "../desktop/recording/recordings.js";
import { createLogger } from "../logger.js";
import { runtimeDirPath, serviceRuntimeDir } from "../runtime-dir.js";
import { startServer } from "../server/server.js";
import { isLoopback, parseCommand, parseListen, parseSize } from "./args.js";
import { createBackend } from "./backend.js";
import { serverToken } from "./token.js";

export const SERVE_USAGE = `desktopd serve [--listen HOST:PORT] [--backend auto|builtin|portabledesktop]
               [--portabledesktop PATH] [--geometry WxH] [--open CMD]...
               [--idle-speedup F] [--runtime-dir DIR] [--tls-cert FILE --tls-key FILE]
  --listen    address to listen on (env DESKTOPD_LISTEN; default 127.0.0.1:7000)
  --backend   desktop backend (default auto: portabledesktop when its binary
              is given, on PATH or cached, else builtin)
  --portabledesktop  path of the portabledesktop binary
  --geometry  native desktop size (default 1920x1080)
  --open      application to start in the desktop, repeatable (e.g. --open xterm)
  --idle-speedup F   recordings play idle spans F times faster (default 20;
              0 turns it off; a recording may choose for itself)
  --runtime-dir DIR  private state such as recordings (env DESKTOPD_RUNTIME_DIR;
              default $XDG_RUNTIME_DIR/desktopd, else /tmp/desktopd-<uid>)
  --tls-cert FILE, --tls-key FILE   PEM certificate chain and key: serve
              HTTP/2 and HTTP/1.1 over TLS (ALPN) on the same port
  --insecure  allow a non-loopback --listen address without TLS`;

export async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: "string" },
      backend: { type: "string", default: process.env.DESKTOPD_BACKEND ?? "auto" },
      portabledesktop: { type: "string" },
      geometry: { type: "string", default: "1920x1080" },
      open: { type: "string", multiple: true, default: [] },
      "idle-speedup": { type: "string", default: String(DEFAULT_IDLE_SPEEDUP.factor) },
      "runtime-dir": { type: "string" },
      insecure: { type: "boolean", default: false },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
    },
  });
  const { host, port } = parseListen(values.listen ?? process.env.DESKTOPD_LISTEN ?? "127.0.0.1:7000");
  if (!values["tls-cert"] !== !values["tls-key"]) throw new Error("--tls-cert and --tls-key go together");
  const tls = values["tls-cert"] ? { cert: readFileSync(values["tls-cert"]), key: readFileSync(values["tls-key"]!) } : undefined;
  if (!isLoopback(host) && !tls && !values.insecure) {
    throw new Error(
      `--listen ${host}: refusing a non-loopback address without TLS; pass --tls-cert/--tls-key, or --insecure to allow cleartext`,
    );
  }
  const geometry = parseSize(values.geometry!, "--geometry");
  const open = values.open!.map(parseCommand);
  const factor = Number(values["idle-speedup"]);
  if (!(factor === 0 || (factor > 1 && factor <= 1000)))
    throw new Error(`--idle-speedup: expected 0 (off) or a factor above 1 up to 1000, got "${values["idle-speedup"]}"`);
  const logger = createLogger();
  const runtimeDir = await serviceRuntimeDir(values["runtime-dir"] ?? runtimeDirPath());
  const desktop = await createBackend({ backend: values.backend!, binary: values.portabledesktop, geometry, open, logger });
  const idleSpeedup = factor === 0 ? null : { ...DEFAULT_IDLE_SPEEDUP, factor };
  const recordings = await Recordings.create({ desktop, logger, runtimeDir, idleSpeedup });
  const { token, source, generated } = serverToken();
  const server = await startServer({ desktop, token, logger, host, port, recordings, tls });
  const tokenRef = source === "DESKTOPD_TOKEN" ? "$DESKTOPD_TOKEN" : `$(cat ${source})`;
  if (generated) process.stderr.write(`\ndesktopd: generated a bearer token (saved to ${source}, mode 0600):\n  ${token}\n`);
  process.stderr.write(
    `\ndesktopd: serving on ${server.url}; try:\n` +
      `  buf curl ${tls ? `--cacert ${values["tls-cert"]}` : "--http2-prior-knowledge"} --reflect-header '*' \\\n` +
      `    -H "Authorization: Bearer ${tokenRef}" \\\n` +
      `    ${server.url}/desktop.v1.DesktopService/GetDisplay\n` +
      `desktopd: live view in a browser (the link holds the token; add &view_only=1 to watch only):\n` +
      `  ${server.url}/?token=${encodeURIComponent(token)}\n\n`,
  );
  let signals = 0;
  const stop = (sig: string) => {
    if (signals++ > 0) {
      logger.warn({ signal: sig }, "second signal: exiting now");
      process.exit(1);
    }
    logger.info({ signal: sig }, "signal received");
    server.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err: err.message }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}
