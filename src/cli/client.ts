/** How the client commands reach the service: --url and --token, or the environment, or the server's token file. */
import { createDesktopClient, type DesktopClient } from "../client/client.js";
import { DEFAULTS as SERVER } from "../server/defaults.js";
import { explainErrors } from "./client-errors.js";
import { type Env, list, oneOf, text, type Values } from "./command.js";
import { parseServiceUrl } from "./settings.js";
import { readTokenFile, TOKEN_FILE, tokenFilePath } from "./token.js";

export const CLIENT_SETTINGS = {
  url: text({
    flag: "url",
    value: "URL",
    env: "DESKTOPD_URL",
    default: `http://${SERVER.host}:${SERVER.port}`,
    help: "the service's URL (http:// or https://)",
    parse: parseServiceUrl,
  }),
  token: text({ flag: "token", value: "TOKEN", env: "DESKTOPD_TOKEN", defaultHelp: "the token file's", help: "bearer token" }),
  tokenFile: TOKEN_FILE,
  protocol: oneOf(["grpc", "connect", "grpc-web"], {
    flag: "protocol",
    env: "DESKTOPD_PROTOCOL",
    default: "grpc",
    help: "grpc over HTTP/2, or connect or grpc-web over HTTP/1.1 for routers that pass only HTTP/1.1 (VNC then goes over the /vnc WebSocket)",
  }),
  header: list({
    flag: "header",
    value: "NAME:VALUE",
    help: "a request header for every call and the /vnc WebSocket, e.g. a router's X-Sandbox-ID:desktop-7; repeatable",
    parse: parseHeader,
  }),
};

/** "Name: value" -> [name, value]; the name a token (RFC 9110), never Authorization (--token sets it). */
function parseHeader(raw: string, source: string): [string, string] {
  const at = raw.indexOf(":");
  const name = raw.slice(0, Math.max(at, 0)).trim();
  if (at <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new Error(`${source}: expected NAME:VALUE, got "${raw}"`);
  if (name.toLowerCase() === "authorization") throw new Error(`${source}: the token goes in --token, not a header`);
  return [name, raw.slice(at + 1).trim()];
}

/** The service's URL and the token to send it. */
export function cliTarget(
  values: Values<typeof CLIENT_SETTINGS>,
  env: Env,
): { url: string; token: string; headers: Record<string, string> } {
  const token = values.token ?? readTokenFile(tokenFilePath(env, values.tokenFile));
  if (!token) throw new Error("no token: pass --token, set DESKTOPD_TOKEN, or run where the server's token file is");
  return { url: values.url, token, headers: Object.fromEntries(values.header) };
}

export function cliClient(values: Values<typeof CLIENT_SETTINGS>, env: Env): DesktopClient {
  const { url, token, headers } = cliTarget(values, env);
  const protocol = values.protocol;
  return createDesktopClient({
    baseUrl: url,
    token,
    headers,
    protocol,
    httpVersion: protocol === "grpc" ? undefined : "1.1",
    interceptors: [explainErrors(url)],
  });
}
