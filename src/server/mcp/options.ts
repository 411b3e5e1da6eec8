/** The /mcp endpoint's path and options, shared by its loader (endpoint.ts) and its handler (handler.ts). */
import type { Logger } from "pino";
import type { DesktopClient } from "../../client/client.js";
import type { Credentials } from "../transport/credentials.js";
import type { OriginPolicy } from "../transport/origins.js";

export const MCP_PATH = "/mcp";

export interface McpEndpointOptions {
  /** The service, in process (createRouterTransport over the same routes and interceptors). */
  client: DesktopClient;
  /** The tenant's token, or the service's Credentials. */
  token: string | Credentials;
  origins: OriginPolicy;
  scheme: "http" | "https";
  logger: Logger;
  /** Reported to clients in `initialize`. */
  version: string;
}
