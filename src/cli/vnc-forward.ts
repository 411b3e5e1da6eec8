/** `desktopd vnc-forward`: a local port any VNC viewer can open (src/client/vnc-forward.ts). */
import { WebSocket } from "ws";
import { forwardVnc } from "../client/vnc-forward.js";
import type { WebSocketConstructor } from "../client/vnc-websocket.js";
import { createLogger } from "../logger.js";
import { CLIENT_SETTINGS, cliClient, cliTarget } from "./client.js";
import { defineCommand, flag, text, UsageError } from "./command.js";
import { isLoopback, LOG_LEVEL, parseListen } from "./settings.js";

export const vncForward = defineCommand({
  name: "vnc-forward",
  summary: "a local port for VNC viewers, each connection one Vnc call to the service",
  description:
    "Point a viewer at the port (vncviewer 127.0.0.1::5901). The port has no authentication of its own. The URL and token are checked at start (one GetDisplay call).",
  settings: {
    listen: text({
      flag: "listen",
      value: "HOST:PORT",
      default: "127.0.0.1:5901",
      help: "local address; port 0 picks a free one",
      parse: parseListen,
    }),
    insecure: flag({ flag: "insecure", help: "allow a non-loopback --listen (anyone who reaches it gets the desktop)" }),
    websocket: flag({
      flag: "websocket",
      help: "relay each viewer over the service's /vnc WebSocket instead of the Vnc RPC (routers that pass only HTTP/1.1); the default with --protocol connect or grpc-web",
    }),
    ...CLIENT_SETTINGS,
    logLevel: LOG_LEVEL,
  },
  async run(values, { env }) {
    const { host, port } = values.listen;
    if (!isLoopback(host) && !values.insecure) {
      throw new UsageError(`--listen ${host}: the forwarded port has no authentication; keep it on loopback or pass --insecure`);
    }
    const logger = createLogger(values.logLevel);
    const client = cliClient(values, env);
    // A wrong URL or token fails here, with what to fix, not later as a viewer's dropped connection.
    const display = await client.getDisplay({});
    const target = cliTarget(values, env);
    const overWebSocket = values.websocket || values.protocol !== "grpc";
    const via = overWebSocket
      ? {
          websocket: {
            baseUrl: target.url,
            token: target.token,
            headers: target.headers,
            WebSocket: WebSocket as unknown as WebSocketConstructor,
          },
        }
      : { client };
    const fwd = await forwardVnc({
      ...via,
      host,
      port,
      onConnection: (e) =>
        e.error ? logger.warn(e, "viewer connection failed") : logger.info(e, e.closed ? "viewer left" : "viewer connected"),
    });
    const { width, height } = display.nativeSize ?? {};
    process.stderr.write(
      `desktopd: VNC on ${host}:${fwd.port} (e.g. vncviewer ${host}::${fwd.port}): the ${width}x${height} desktop at ${values.url}${overWebSocket ? " over its /vnc WebSocket" : ""}\n`,
    );
    const stop = () => void fwd.close().then(() => process.exit(0));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  },
});
