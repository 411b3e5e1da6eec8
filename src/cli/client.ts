/** How the client subcommands reach the service: --url and --token, or their environment defaults. */
import { createDesktopClient, type DesktopClient } from "../client/client.js";
import { readToken } from "./token.js";

export const CLIENT_FLAGS = { url: { type: "string" }, token: { type: "string" } } as const;

export const CLIENT_USAGE = `  --url       service URL (env DESKTOPD_URL; default http://127.0.0.1:7000)
  --token     bearer token (env DESKTOPD_TOKEN; default: the token file)`;

export function cliClient(values: { url?: string; token?: string }): DesktopClient {
  const token = values.token ?? readToken();
  if (!token) throw new Error("no token: pass --token, set DESKTOPD_TOKEN, or run where the server's token file is");
  return createDesktopClient({ baseUrl: values.url ?? process.env.DESKTOPD_URL ?? "http://127.0.0.1:7000", token });
}
