/**
 * The MCP tools (Model Context Protocol, tools/list and tools/call:
 * https://modelcontextprotocol.io/specification/2025-06-18/server/tools) as
 * one table: each maps its arguments to DesktopService calls and their answer
 * to tool content. The calls go through the service itself (an in-process
 * Connect client with the caller's token), so validation, the error codes,
 * input order and call logging are the RPCs' own.
 *
 * Coordinates are declared pixels: the `computer` tool's screen is the
 * service's default declared size (GetDisplay's default_declared_size, e.g.
 * 1280x720 on a 1920x1080 framebuffer), as a model is told in the tool's
 * description. A failed call is a tool result with `isError` and the gRPC
 * code in its text ("[invalid_argument] coordinate ..."), so the model can
 * correct itself; nothing is retried.
 */
import { create } from "@bufbuild/protobuf";
import { type Code, ConnectError } from "@connectrpc/connect";
import type { CallToolResult, ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { BatchedActionStatus, FileType, ImageFormat, type Size, UploadFileRequestSchema } from "../../../gen/desktop/v1/desktop_pb.js";
import type { DesktopClient } from "../../client/client.js";
import { COMPUTER_USE_ACTIONS, LOOK_ONLY_ACTIONS, toActionRequest, toToolResult } from "../../client/computer-use.js";
import { MAX_BATCH } from "../rpc/action-batch.js";

/** What a tool call runs with: the service, the caller's headers, the declared screen. */
export interface ToolContext {
  client: DesktopClient;
  /** Sent with every call (the caller's Authorization). */
  headers: Record<string, string>;
  declared: Size;
  signal: AbortSignal;
}

type Shape = z.ZodRawShape;
interface Tool<S extends Shape> {
  description: (declared: Size) => string;
  input: S;
  annotations: ToolAnnotations;
  run: (args: z.infer<z.ZodObject<S>>, c: ToolContext) => Promise<CallToolResult>;
}
const tool = <S extends Shape>(t: Tool<S>) => t;

/** Largest file read_file returns, bytes: the whole file goes into one JSON-RPC message. */
export const MAX_READ_BYTES = 8 * 1024 * 1024;
/** Bytes per UploadFile message. */
const UPLOAD_CHUNK = 256 * 1024;

const text = (t: string): CallToolResult => ({ content: [{ type: "text", text: t }] });
const json = (v: unknown): CallToolResult => text(JSON.stringify(v, null, 2));
const options = (c: ToolContext) => ({ headers: c.headers, signal: c.signal });
/** The proto's integer types: a number beyond them could not be sent (it was an INTERNAL "serialize binary" error). */
const INT32 = z
  .number()
  .int()
  .min(-(2 ** 31))
  .max(2 ** 31 - 1);
const UINT32 = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1);
const pair = z.tuple([INT32, INT32]);
const FILE_TYPES: Record<number, string> = { [FileType.REGULAR]: "file", [FileType.DIRECTORY]: "directory", [FileType.SYMLINK]: "symlink" };

/** One computer action, as the `computer` tool takes it (Anthropic's computer_20251124 and computer_toolset_20260801 member names). */
const COMPUTER_INPUT = {
  action: z.enum(COMPUTER_USE_ACTIONS),
  coordinate: pair.optional().describe("[x, y], pixels"),
  start_coordinate: pair.optional().describe("left_click_drag: where the drag starts, [x, y]"),
  text: z.string().optional().describe("type: the text; key, hold_key: the keys; clicks and scroll: modifiers held"),
  duration: z
    .number()
    .min(0)
    .max((2 ** 32 - 1) / 1000)
    .optional()
    .describe("hold_key, wait: seconds"),
  scroll_direction: z.enum(["up", "down", "left", "right"]).optional(),
  scroll_amount: UINT32.optional().describe("scroll: wheel clicks"),
  region: z.tuple([INT32, INT32, INT32, INT32]).optional().describe("zoom: [x0, y0, x1, y1]"),
};

const STATUS: Record<number, string> = {
  [BatchedActionStatus.DONE]: "done",
  [BatchedActionStatus.FAILED]: "failed",
  [BatchedActionStatus.NOT_EXECUTED]: "not executed: an earlier action failed",
};

export const TOOLS = {
  computer: tool({
    description: (d) =>
      `Use the mouse and keyboard of a Linux desktop and take screenshots. The screen is ${d.width}x${d.height} pixels; ` +
      "coordinates are [x, y] from the top-left corner. Actions as Anthropic's computer-use tool (computer_20251124): " +
      "key takes xdotool-style combos separated by spaces (ctrl+a BackSpace); duration is seconds; zoom's region is " +
      "[x0, y0, x1, y1]. Every action but screenshot, zoom and cursor_position waits until the screen has settled and " +
      "answers with a screenshot.",
    input: COMPUTER_INPUT,
    annotations: { title: "Computer", destructiveHint: true, openWorldHint: false },
    run: async (args, c) => {
      const req = toActionRequest(args, {
        scaledSize: c.declared,
        captureAfter: LOOK_ONLY_ACTIONS.has(args.action) ? undefined : { format: ImageFormat.PNG },
      });
      const blocks = toToolResult(await c.client.action(req, options(c)));
      return {
        content: blocks.map((b) =>
          b.type === "text"
            ? { type: "text" as const, text: b.text }
            : { type: "image" as const, data: b.source.data, mimeType: b.source.media_type },
        ),
      };
    },
  }),
  computer_batch: tool({
    description: (d) =>
      `Run several computer actions in order in one call, then see the screen once. The screen is ${d.width}x${d.height} pixels. ` +
      "Each action takes the computer tool's arguments. All are checked before the first runs (a bad one runs nothing); " +
      `the first that fails stops the rest. Answers with a line per action and one screenshot after the screen settled. At most ${MAX_BATCH} actions.`,
    input: { actions: z.array(z.object(COMPUTER_INPUT)).min(1).max(MAX_BATCH) },
    annotations: { title: "Computer, several actions", destructiveHint: true, openWorldHint: false },
    run: async (args, c) => {
      const actions = args.actions.map((a, k) => {
        try {
          return { action: toActionRequest(a, { settle: false }).action };
        } catch (err) {
          const e = ConnectError.from(err);
          throw new ConnectError(`actions[${k}].${e.rawMessage}`, e.code);
        }
      });
      const res = await c.client.actionBatch(
        { scaledSize: c.declared, actions, settle: {}, captureAfter: { format: ImageFormat.PNG } },
        options(c),
      );
      const lines = res.results.map((r, k) => {
        const what = `${k + 1}. ${args.actions[k].action}: ${STATUS[r.status] ?? "unknown"}`;
        if (r.status === BatchedActionStatus.DONE) return `${what}: ${r.output}`;
        if (r.status === BatchedActionStatus.FAILED) return `${what}: ${new ConnectError(r.message, r.code as Code).message}`;
        return what;
      });
      const failed = res.results.some((r) => r.status === BatchedActionStatus.FAILED);
      const shot = res.screenshot;
      return {
        ...(failed ? { isError: true } : {}),
        content: [
          { type: "text" as const, text: lines.join("\n") },
          ...(shot ? [{ type: "image" as const, data: Buffer.from(shot.data).toString("base64"), mimeType: "image/png" }] : []),
        ],
      };
    },
  }),
  get_clipboard: tool({
    description: () => "Read the desktop's clipboard (the X CLIPBOARD selection) as text.",
    input: {},
    annotations: { title: "Read the clipboard", readOnlyHint: true },
    run: async (_, c) => text((await c.client.getClipboard({}, options(c))).text),
  }),
  set_clipboard: tool({
    description: () => "Put text on the desktop's clipboard (the X CLIPBOARD selection), for an application to paste.",
    input: { text: z.string() },
    annotations: { title: "Set the clipboard", idempotentHint: true },
    run: async (args, c) => {
      await c.client.setClipboard({ text: args.text }, options(c));
      return text("clipboard set");
    },
  }),
  list_files: tool({
    description: () => "List a directory under the service's file root (relative paths; the root when path is empty).",
    input: { path: z.string().default("") },
    annotations: { title: "List files", readOnlyHint: true },
    run: async (args, c) => {
      const { files } = await c.client.listFiles({ path: args.path }, options(c));
      return json(
        files.map((f) => ({ path: f.path, type: FILE_TYPES[f.type] ?? "other", size: Number(f.size), mode: f.mode.toString(8) })),
      );
    },
  }),
  read_file: tool({
    description: () =>
      `Read a file under the service's file root: its text when it is UTF-8, else its bytes as a base64 resource; ${MAX_READ_BYTES / 2 ** 20} MiB at most.`,
    input: { path: z.string().min(1) },
    annotations: { title: "Read a file", readOnlyHint: true },
    run: async (args, c) => {
      const parts: Uint8Array[] = [];
      let size = 0;
      for await (const res of c.client.downloadFile({ path: args.path }, options(c))) {
        if (res.part.case === "info" && Number(res.part.value.size) > MAX_READ_BYTES)
          return { isError: true, content: [{ type: "text", text: `[resource_exhausted] ${args.path} is over ${MAX_READ_BYTES} bytes` }] };
        if (res.part.case !== "chunk") continue;
        parts.push(res.part.value);
        size += res.part.value.length;
      }
      const bytes = Buffer.concat(parts, size);
      const utf8 = new TextDecoder("utf-8", { fatal: true });
      try {
        return text(utf8.decode(bytes));
      } catch {
        const uri = `file:///${args.path.replace(/^\/+/, "")}`;
        return { content: [{ type: "resource", resource: { uri, mimeType: "application/octet-stream", blob: bytes.toString("base64") } }] };
      }
    },
  }),
  write_file: tool({
    description: () =>
      "Write a file under the service's file root, replacing it (parent directories are made): text as UTF-8, or base64 bytes.",
    input: {
      path: z.string().min(1),
      text: z.string().optional(),
      base64: z.base64().optional().describe("the bytes, base64; instead of text"),
    },
    annotations: { title: "Write a file", destructiveHint: true, idempotentHint: true },
    run: async (args, c) => {
      if ((args.text === undefined) === (args.base64 === undefined))
        return { isError: true, content: [{ type: "text", text: "[invalid_argument] give exactly one of text and base64" }] };
      const data = args.text !== undefined ? Buffer.from(args.text) : Buffer.from(args.base64 ?? "", "base64");
      async function* messages() {
        yield create(UploadFileRequestSchema, { path: args.path, data: data.subarray(0, UPLOAD_CHUNK) });
        for (let off = UPLOAD_CHUNK; off < data.length; off += UPLOAD_CHUNK)
          yield create(UploadFileRequestSchema, { data: data.subarray(off, off + UPLOAD_CHUNK) });
      }
      const { file } = await c.client.uploadFile(messages(), options(c));
      return text(`wrote ${Number(file?.size ?? data.length)} bytes to ${file?.path ?? args.path}`);
    },
  }),
  list_windows: tool({
    description: (d) =>
      `List the desktop's top-level windows (EWMH): id, title, class, pid, geometry in the ${d.width}x${d.height} screen's pixels, focus.`,
    input: {},
    annotations: { title: "List windows", readOnlyHint: true },
    run: async (_, c) => {
      const { windows } = await c.client.listWindows({ scaledSize: c.declared }, options(c));
      return json(
        windows.map((w) => ({
          id: w.id,
          title: w.title,
          class: w.className,
          pid: w.pid,
          geometry: w.geometry && { x: w.geometry.x, y: w.geometry.y, width: w.geometry.width, height: w.geometry.height },
          focused: w.focused,
          minimized: w.minimized,
        })),
      );
    },
  }),
  launch_application: tool({
    description: () => "Start a program on the desktop, without a shell: argv[0] is looked up on PATH. Answers its pid.",
    input: { argv: z.array(z.string()).min(1), working_directory: z.string().optional() },
    annotations: { title: "Launch an application", openWorldHint: false },
    run: async (args, c) => {
      const { pid } = await c.client.launchApplication({ argv: args.argv, workingDirectory: args.working_directory ?? "" }, options(c));
      return text(`started pid ${pid}`);
    },
  }),
  activate_window: tool({
    description: () => "Raise and focus a window by its id (from list_windows).",
    input: { id: UINT32.min(1) },
    annotations: { title: "Activate a window", idempotentHint: true },
    run: async (args, c) => {
      await c.client.activateWindow({ id: args.id }, options(c));
      return text(`window ${args.id} activated`);
    },
  }),
  close_window: tool({
    description: () => "Ask a window to close (WM_DELETE_WINDOW); with kill_after_ms, kill its client if it is still open then.",
    input: { id: UINT32.min(1), kill_after_ms: UINT32.default(0) },
    annotations: { title: "Close a window", destructiveHint: true },
    run: async (args, c) => {
      const { killed } = await c.client.closeWindow({ id: args.id, killAfterMs: args.kill_after_ms }, options(c));
      return text(killed ? `window ${args.id} killed` : `window ${args.id} closed`);
    },
  }),
  reset_desktop: tool({
    description: () =>
      "Return the desktop to a clean state for a new task: every application closed, the startup apps started again, clipboard, keyboard and pointer fresh, recordings deleted, and the files too when the service is set to. Take a new screenshot afterwards.",
    input: {
      new_x_server: z
        .boolean()
        .default(false)
        .describe("start a new X server instead of cleaning the running one (slower, nothing of the old one left)"),
    },
    annotations: { title: "Reset the desktop", destructiveHint: true, idempotentHint: true },
    run: async (args, c) => {
      const res = await c.client.reset({ newXServer: args.new_x_server }, options(c));
      return json({
        steps: res.steps.map((s) => ({ name: s.name, ms: Number(s.durationUs) / 1000, detail: s.detail })),
        total_ms: Number(res.totalUs) / 1000,
        new_x_server: res.newXServer,
        ...(res.why ? { why: res.why } : {}),
      });
    },
  }),
};

/** A failed call as the tool result the model reads. */
export function errorResult(err: unknown): CallToolResult {
  const e = ConnectError.from(err);
  return { isError: true, content: [{ type: "text", text: e.message }] };
}
