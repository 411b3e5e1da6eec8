/**
 * `desktopd health`: asks the service on this machine (or container) whether
 * it is ready, for Docker's HEALTHCHECK and anything else that wants an exit
 * code: GET /readyz (or /healthz with --live) on the address `serve` listens
 * on, read from the same settings (--listen / DESKTOPD_LISTEN, TLS from
 * --tls-cert / DESKTOPD_TLS_CERT). Exit 0 when it answers 200, 1 otherwise,
 * with the state on stderr. The probes need no token, so none is read.
 */
import http from "node:http";
import https from "node:https";
import { defineCommand, flag, text } from "./command.js";
import { SERVE_SETTINGS } from "./serve-config.js";
import { parseMs } from "./settings.js";

/** Time the probe may take, ms. */
const TIMEOUT_MS = 3000;

export const health = defineCommand({
  name: "health",
  summary: "exit 0 when the local service is ready (GET /readyz), 1 when not: for HEALTHCHECK",
  settings: {
    listen: SERVE_SETTINGS.listen,
    tlsCert: SERVE_SETTINGS.tlsCert,
    live: flag({ flag: "live", help: "ask /healthz (the process serves) instead of /readyz (the desktop takes input)" }),
    timeout: text({
      flag: "timeout",
      value: "MS",
      default: String(TIMEOUT_MS),
      help: "time to wait for the answer",
      parse: parseMs(100, 60_000),
    }),
  },
  async run(values) {
    // A wildcard listen address is reached on loopback.
    const host = ["0.0.0.0", "::", ""].includes(values.listen.host) ? "127.0.0.1" : values.listen.host;
    const path = values.live ? "/healthz" : "/readyz";
    const url = `${values.tlsCert ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${values.listen.port}${path}`;
    const { status, body } = await get(url, values.timeout);
    if (status === 200) return;
    process.stderr.write(`desktopd health: ${url}: ${status === 0 ? body : `${status} ${body}`}\n`);
    process.exitCode = 1;
  },
});

/** GET `url`; status 0 and the error when it could not be asked. */
function get(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    // The certificate is not checked: the probe sends no secret and asks its own machine.
    const req = (url.startsWith("https:") ? https : http).get(url, { timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (err) => resolve({ status: 0, body: err.message }));
  });
}
