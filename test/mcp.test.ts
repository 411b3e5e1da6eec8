/**
 * The MCP endpoint at /mcp, driven by the official SDK's own client over
 * Streamable HTTP against a real desktop: the tools it lists, a click that
 * really arrives, a screenshot that really is one, the clipboard, file and
 * window tools, errors the model can read, and a wrong token refused.
 */
import assert from "node:assert/strict";
import { mkdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { FileRoot } from "../src/files/file-root.js";
import { alive, eventually, quietFor } from "./helpers/process.js";
import { useTestServer } from "./helpers/server.js";
import { type RecordedEvent, TestWindows } from "./helpers/xwindow.js";

const ROOT = join(tmpdir(), `desktopd-mcp-root-${process.pid}`);
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

type Content = { type: string; text?: string; data?: string; mimeType?: string };
interface Result {
  content: Content[];
  isError?: boolean;
}

async function connect(url: string, token: string): Promise<Client> {
  const client = new Client({ name: "desktopd-spec", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

/** Width and height of a PNG, from its IHDR chunk. */
const pngSize = (png: Buffer) => [png.readUInt32BE(16), png.readUInt32BE(20)];

describe("MCP endpoint (/mcp, Streamable HTTP, the official SDK's client)", () => {
  const t = useTestServer({ files: new FileRoot(ROOT) });
  let mcp: Client;
  let w: TestWindows;
  const call = async (name: string, args: Record<string, unknown> = {}) => (await mcp.callTool({ name, arguments: args })) as Result;
  const textOf = (r: Result) => r.content.find((c) => c.type === "text")?.text ?? "";

  before(async () => {
    await mkdir(ROOT, { recursive: true });
    mcp = await connect(t().url, t().token);
    const ep = t().x11();
    w = await TestWindows.open(ep.display, ep.cookie);
    await w.window(0, 0, 1920, 1080, 0x202020, { record: true });
  });
  after(async () => {
    await mcp.close();
    w.close();
    await rm(ROOT, { recursive: true, force: true });
  });
  beforeEach(() => w.clear());

  it("lists the computer tool (every action, zoom included; the declared screen size in its description) and the clipboard, file and window tools", async () => {
    const { tools } = await mcp.listTools();
    const names = tools.map((tool) => tool.name).sort();
    assert.deepEqual(names, [
      "activate_window",
      "close_window",
      "computer",
      "computer_batch",
      "get_clipboard",
      "launch_application",
      "list_files",
      "list_windows",
      "read_file",
      "reset_desktop",
      "set_clipboard",
      "write_file",
    ]);
    const computer = tools.find((tool) => tool.name === "computer")!;
    assert.match(computer.description ?? "", /1280x720 pixels/);
    const action = (computer.inputSchema.properties as Record<string, { enum?: string[] }>).action;
    assert.ok(action?.enum?.includes("zoom") && action.enum.includes("left_click_drag"), JSON.stringify(action));
    assert.deepEqual(computer.inputSchema.required, ["action"]);
  });

  it("computer left_click clicks at the declared point, then answers the text and a settled PNG screenshot", async () => {
    const r = await call("computer", { action: "left_click", coordinate: [640, 360] });
    assert.equal(r.isError, undefined, textOf(r));
    const evs = await w.waitFor((e) => e.some((ev: RecordedEvent) => ev.type === "ButtonRelease"));
    const press = evs.find((ev) => ev.type === "ButtonPress")!;
    assert.deepEqual([press.detail, press.rootX, press.rootY], [1, 960, 540], "button 1 at the native point");
    assert.equal(r.content[0]?.type, "text");
    const image = r.content.find((c) => c.type === "image");
    assert.equal(image?.mimeType, "image/png");
    assert.deepEqual(pngSize(Buffer.from(image!.data!, "base64")), [1280, 720]);
  });

  it("computer takes every member name of Anthropic's computer_toolset_20260801", async () => {
    const { tools } = await mcp.listTools();
    const action = (tools.find((tool) => tool.name === "computer")!.inputSchema.properties as Record<string, { enum?: string[] }>).action;
    const members = ["key", "hold_key", "type", "cursor_position", "mouse_move", "left_mouse_down", "left_mouse_up", "left_click"];
    members.push("left_click_drag", "right_click", "middle_click", "double_click", "triple_click", "scroll", "wait", "screenshot", "zoom");
    assert.deepEqual(
      members.filter((m) => !action?.enum?.includes(m)),
      [],
    );
  });

  it("computer_batch runs its actions in order, stops at the first failure, and answers a line each and one screenshot", async () => {
    const ok = await call("computer_batch", {
      actions: [
        { action: "left_click", coordinate: [100, 100] },
        { action: "left_click", coordinate: [200, 100] },
      ],
    });
    assert.equal(ok.isError, undefined, textOf(ok));
    assert.equal(textOf(ok), "1. left_click: done: left_click action performed\n2. left_click: done: left_click action performed");
    const image = ok.content.find((c) => c.type === "image");
    assert.deepEqual(pngSize(Buffer.from(image!.data!, "base64")), [1280, 720]);
    const evs = await w.waitFor((e) => e.filter((ev) => ev.type === "ButtonRelease").length === 2);
    assert.deepEqual(
      evs.filter((ev) => ev.type === "ButtonPress").map((ev) => [ev.rootX, ev.rootY]),
      [
        [150, 150],
        [300, 150],
      ],
    );
    w.clear();
    const bad = await call("computer_batch", {
      actions: [
        { action: "left_click", coordinate: [10, 10] },
        { action: "left_click", coordinate: [5000, 10] },
      ],
    });
    assert.equal(bad.isError, true);
    assert.match(textOf(bad), /^\[invalid_argument\] actions\[1\]\.left_click\.coordinate/);
    await quietFor(200);
    assert.equal(w.events.filter((ev) => ev.type === "ButtonPress").length, 0, "a refused batch runs nothing");
  });

  it("computer screenshot answers a 1280x720 PNG of the screen", async () => {
    const r = await call("computer", { action: "screenshot" });
    const png = Buffer.from(r.content.find((c) => c.type === "image")!.data!, "base64");
    assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE));
    assert.deepEqual(pngSize(png), [1280, 720]);
  });

  it("a coordinate off the screen is a tool error naming the field and the screen size; nothing is clicked", async () => {
    const r = await call("computer", { action: "left_click", coordinate: [5000, 10] });
    assert.equal(r.isError, true);
    assert.match(textOf(r), /\[invalid_argument\].*coordinate.*1280x720/);
    await quietFor(200);
    assert.equal(w.events.filter((ev) => ev.type === "ButtonPress").length, 0);
  });

  it("an action the schema does not have is refused before anything runs", async () => {
    const r = await call("computer", { action: "teleport" });
    assert.equal(r.isError, true);
    assert.match(textOf(r), /action/);
  });

  it("numbers out of the proto's range and invalid base64 are refused as invalid input, never an internal error; nothing runs", async () => {
    const refusals: [string, Record<string, unknown>, RegExp][] = [
      ["computer", { action: "left_click", coordinate: [1e12, 10] }, /coordinate/],
      ["computer", { action: "scroll", coordinate: [10, 10], scroll_amount: 2 ** 40 }, /scroll_amount/],
      ["computer", { action: "wait", duration: 1e10 }, /duration/],
      ["computer", { action: "zoom", region: [0, 0, 2 ** 33, 10] }, /region/],
      ["activate_window", { id: 2 ** 40 }, /id/],
      ["close_window", { id: 5, kill_after_ms: -1 }, /kill_after_ms/],
      ["write_file", { path: "bad.bin", base64: "not base64!" }, /base64/],
    ];
    for (const [name, args, field] of refusals) {
      const r = await call(name, args);
      assert.equal(r.isError, true, `${name} ${JSON.stringify(args)}`);
      assert.match(textOf(r), field);
      assert.doesNotMatch(textOf(r), /internal|serialize/i, textOf(r));
    }
    await quietFor(200);
    assert.equal(w.events.filter((ev) => ev.type === "ButtonPress").length, 0);
    assert.equal((await call("list_files", { path: "" })).content[0].text?.includes("bad.bin"), false);
  });

  it("set_clipboard then get_clipboard round-trips multilingual text; the service sees it too", async () => {
    await call("set_clipboard", { text: "héllo ✓ 世界" });
    assert.equal(textOf(await call("get_clipboard")), "héllo ✓ 世界");
    assert.equal((await t().grpc.getClipboard({})).text, "héllo ✓ 世界");
  });

  it("write_file, list_files and read_file work under the file root (text and bytes); an escape is refused", async () => {
    assert.match(textOf(await call("write_file", { path: "notes/todo.txt", text: "buy milk\n" })), /wrote 9 bytes/);
    assert.equal(await readFile(join(ROOT, "notes/todo.txt"), "utf8"), "buy milk\n");
    const bytes = Buffer.from([0, 255, 1, 254]);
    await call("write_file", { path: "notes/blob.bin", base64: bytes.toString("base64") });
    const listed = JSON.parse(textOf(await call("list_files", { path: "notes" }))) as { path: string; size: number }[];
    assert.deepEqual(listed.map((f) => [f.path, f.size]).sort(), [
      ["notes/blob.bin", 4],
      ["notes/todo.txt", 9],
    ]);
    assert.equal(textOf(await call("read_file", { path: "notes/todo.txt" })), "buy milk\n");
    const blob = (await call("read_file", { path: "notes/blob.bin" })).content[0] as unknown as { resource: { blob: string } };
    assert.deepEqual(Buffer.from(blob.resource.blob, "base64"), bytes);
    const outside = await call("read_file", { path: "../../etc/passwd" });
    assert.equal(outside.isError, true);
    assert.match(textOf(outside), /\[invalid_argument\]|\[permission_denied\]/);
  });

  it("launch_application, list_windows and close_window: an xterm opens, is found by title, and goes", async () => {
    const started = textOf(await call("launch_application", { argv: ["xterm", "-T", "mcp-spec-term"] }));
    const pid = Number(/pid (\d+)/.exec(started)?.[1]);
    assert.ok(pid > 0, started);
    const win = await eventually(async () => {
      const windows = JSON.parse(textOf(await call("list_windows"))) as { id: number; title: string; pid: number }[];
      return windows.find((x) => x.title === "mcp-spec-term");
    }, 15_000);
    assert.equal(win.pid, pid);
    assert.match(textOf(await call("activate_window", { id: win.id })), /activated/);
    assert.match(textOf(await call("close_window", { id: win.id, kill_after_ms: 5000 })), /closed|killed/);
    await eventually(async () => (alive(pid) ? undefined : true), 10_000);
  });

  it("refuses a wrong token: the SDK client cannot connect, and the endpoint answers 401 with WWW-Authenticate", async () => {
    await assert.rejects(connect(t().url, "wrong-token-wrong-token"), /401|nauthorized|invalid bearer/i);
    const res = await fetch(`${t().url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    assert.equal(res.status, 401);
    assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
  });

  it("refuses a page of another origin with 403 before the token is looked at (DNS-rebinding protection)", async () => {
    const res = await fetch(`${t().url}/mcp`, {
      method: "POST",
      headers: { origin: "http://evil.example", authorization: `Bearer ${t().token}`, "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /origin http:\/\/evil\.example is not allowed/);
  });

  it("is stateless: GET (an SSE stream) is 405 with Allow: POST", async () => {
    const res = await fetch(`${t().url}/mcp`, { headers: { authorization: `Bearer ${t().token}`, accept: "text/event-stream" } });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "POST");
  });
});
