/**
 * What answers at /mcp (loaded on the first request: src/server/mcp/endpoint.ts):
 * the Model Context Protocol's Streamable HTTP transport
 * (https://modelcontextprotocol.io/specification/2025-06-18/basic/transports)
 * of the official SDK, stateless: each POST is one JSON-RPC exchange answered
 * as JSON, with a server made for it (the tools of src/server/mcp/tools.ts).
 * There are no sessions and no server-initiated messages, so GET (an SSE
 * stream) and DELETE (ending a session) are 405.
 *
 * The same rules as the RPCs: the bearer token (401 with `WWW-Authenticate:
 * Bearer` otherwise; the spec's authorization section allows a static token
 * for a server the user configures), and the origin policy: a browser page of
 * another origin is refused unless `--allow-origin` names it, which is the
 * spec's DNS-rebinding protection.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { ConnectError } from "@connectrpc/connect";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Size } from "../../../gen/desktop/v1/desktop_pb.js";
import { tenantAuthorized } from "../transport/credentials.js";
import { MCP_PATH, type McpEndpointOptions } from "./options.js";
import { errorResult, TOOLS, type ToolContext } from "./tools.js";

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

/** JSON-RPC error codes of the answers made here (the SDK's own for the rest). */
const UNAUTHORIZED = -32001;
const SERVER_ERROR = -32000;

/** Answers requests for MCP_PATH. */
export function mcpHandler(opts: McpEndpointOptions): (req: Request, res: Response) => void {
  let display: Promise<Size> | undefined;
  // The declared screen the `computer` tool describes; asked once (GetDisplay starts the desktop), again after a failure.
  const declared = (headers: Record<string, string>): Promise<Size> => {
    if (!display) {
      display = opts.client.getDisplay({}, { headers }).then((d) => {
        if (!d.defaultDeclaredSize) throw new Error("GetDisplay gave no default_declared_size");
        return d.defaultDeclaredSize;
      });
      display.catch(() => {
        display = undefined;
      });
    }
    return display;
  };

  const handle = async (req: Request, res: Response): Promise<void> => {
    if (opts.origins.gate(req, res, { scheme: opts.scheme, logger: opts.logger, what: MCP_PATH, preflight })) return;
    if (!tenantAuthorized(opts.token, req.headers.authorization)) {
      opts.logger.warn({ path: MCP_PATH }, "MCP request without a valid bearer token refused");
      res.setHeader("www-authenticate", 'Bearer realm="desktopd"');
      return reply(res, 401, rpcError(UNAUTHORIZED, "missing or invalid bearer token"));
    }
    if (req.method !== "POST") {
      res.setHeader("allow", "POST");
      return reply(res, 405, rpcError(SERVER_ERROR, "this MCP server is stateless: POST JSON-RPC messages; no SSE stream, no sessions"));
    }
    const headers = { authorization: req.headers.authorization ?? "" };
    let screen: Size;
    try {
      screen = await declared(headers);
    } catch (err) {
      return reply(res, 503, rpcError(SERVER_ERROR, `the desktop is unavailable: ${ConnectError.from(err).message}`));
    }
    const server = mcpServer(opts, (signal) => ({ client: opts.client, headers, declared: screen, signal }), screen);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req as IncomingMessage, res as ServerResponse);
  };

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      opts.logger.error({ path: MCP_PATH, err: String(err) }, "MCP request failed");
      if (!res.headersSent) reply(res, 500, rpcError(SERVER_ERROR, "internal error"));
      else res.destroy();
    });
  };
}

/** An MCP server with every tool of TOOLS, for one request. */
function mcpServer(opts: McpEndpointOptions, context: (signal: AbortSignal) => ToolContext, screen: Size): McpServer {
  const server = new McpServer({ name: "desktopd", version: opts.version }, { capabilities: { tools: {} } });
  for (const [name, t] of Object.entries(TOOLS)) {
    const run = t.run as (args: unknown, c: ToolContext) => ReturnType<typeof t.run>;
    server.registerTool(
      name,
      { description: t.description(screen), inputSchema: t.input, annotations: t.annotations },
      async (args: unknown, extra: { signal: AbortSignal }) => {
        try {
          return await run(args, context(extra.signal));
        } catch (err) {
          return errorResult(err);
        }
      },
    );
  }
  return server;
}

const rpcError = (code: number, message: string) => ({ jsonrpc: "2.0", error: { code, message }, id: null });

function reply(res: Response, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** CORS preflight answer for an allowed other origin: the headers MCP's Streamable HTTP uses. */
const preflight = (origin: string): Record<string, string> => ({
  "access-control-allow-origin": origin,
  "access-control-allow-methods": "POST, OPTIONS",
  "access-control-allow-headers": "Authorization, Content-Type, Accept, Mcp-Protocol-Version, Mcp-Session-Id, Last-Event-ID",
  "access-control-max-age": "3600",
  vary: "Origin",
});
