/**
 * `desktopd serve`'s start banner suggests a `buf curl` line; a user pastes
 * it into a shell with no `buf` on PATH (a checkout: buf is a dev dependency
 * in node_modules/.bin) and it answers; its MCP line names an endpoint that
 * answers. A real `desktopd serve` process.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { stderrMatch } from "./helpers/process.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const TOKEN = "banner-spec-token-0123456789abcdef";

describe("desktopd serve's banner", () => {
  it("prints a buf curl line that runs as printed, with no buf on PATH", async () => {
    // PATH: node, then the system's directories; not node_modules/.bin.
    const PATH = [dirname(process.execPath), "/usr/bin", "/bin"].join(":");
    const env = { ...process.env, PATH, DESKTOPD_TOKEN: TOKEN, DESKTOPD_LOG_LEVEL: "warn" };
    const proc = execa("node", ["--import", "tsx", MAIN, "serve", "--listen", "127.0.0.1:0", "--geometry", "320x240"], {
      env,
      reject: false,
    });
    try {
      const [, line, mcp] = await stderrMatch(
        proc,
        proc,
        /try:\n(\s+\S+ curl [\s\S]*?GetDisplay)\n[\s\S]*MCP[^\n]*\n\s+(http:\/\/\S+\/mcp)\n/,
      );
      assert.doesNotMatch(line, /^\s*buf curl/, "buf is not on PATH: the line names one that runs");
      const r = await execa("bash", ["-c", line], { env, timeout: 60_000 });
      assert.match(r.stdout, /"nativeSize":\s*\{\s*"width":\s*320,\s*"height":\s*240/);
      // The MCP line names an endpoint that answers `initialize` with the token.
      const init = await fetch(mcp, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "banner-spec", version: "1" } },
        }),
      });
      assert.equal(init.status, 200);
      assert.equal(((await init.json()) as { result: { serverInfo: { name: string } } }).result.serverInfo.name, "desktopd");
    } finally {
      proc.kill("SIGTERM");
      await proc;
    }
  });
});
