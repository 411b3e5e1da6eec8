/**
 * The Model Context Protocol endpoint at /mcp (src/server/mcp/handler.ts
 * answers). The MCP SDK and its schemas are loaded on the first request to
 * it, not at start: most desktops never see one, and loading them is a third
 * of the service's start-up.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { MCP_PATH, type McpEndpointOptions } from "./options.js";

export { MCP_PATH, type McpEndpointOptions };

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

/** A handler that takes requests for MCP_PATH and answers true, false for any other path. */
export function mcpEndpoint(opts: McpEndpointOptions): (req: Request, res: Response) => boolean {
  let handler: Promise<(req: Request, res: Response) => void> | undefined;
  return (req, res) => {
    if (req.url?.split("?", 1)[0] !== MCP_PATH) return false;
    handler ??= import("./handler.js").then((m) => m.mcpHandler(opts));
    handler.then(
      (handle) => handle(req, res),
      (err: unknown) => {
        opts.logger.error({ path: MCP_PATH, err: String(err) }, "the MCP endpoint could not be loaded");
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message: "internal error" }, id: null }));
      },
    );
    return true;
  };
}
