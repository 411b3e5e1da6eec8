/** `desktopd vnc-forward`: a local port any VNC viewer can open (src/client/vnc-forward.ts). */
import { parseArgs } from "node:util";
import { forwardVnc } from "../client/vnc-forward.js";
import { createLogger } from "../logger.js";
import { isLoopback, parseListen } from "./args.js";
import { CLIENT_FLAGS, CLIENT_USAGE, cliClient } from "./client.js";

export const VNC_FORWARD_USAGE = `desktopd vnc-forward [--listen 127.0.0.1:5901]
  each connection to the local port is one Vnc call to the service; point a
  viewer at it (vncviewer 127.0.0.1::5901). A non-loopback --listen needs
  --insecure: the port itself has no authentication.
${CLIENT_USAGE}`;

export async function vncForward(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { listen: { type: "string", default: "127.0.0.1:5901" }, insecure: { type: "boolean", default: false }, ...CLIENT_FLAGS },
  });
  const { host, port } = parseListen(values.listen!);
  if (!isLoopback(host) && !values.insecure)
    throw new Error(`--listen ${host}: the forwarded port has no authentication; keep it on loopback or pass --insecure`);
  const logger = createLogger();
  const fwd = await forwardVnc({
    client: cliClient(values),
    host,
    port,
    onConnection: (e) =>
      e.error ? logger.warn(e, "viewer connection failed") : logger.info(e, e.closed ? "viewer left" : "viewer connected"),
  });
  process.stderr.write(`desktopd: VNC on ${host}:${fwd.port} (e.g. vncviewer ${host}::${fwd.port})\n`);
  const stop = () => void fwd.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
