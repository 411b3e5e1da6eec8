/**
 * `DesktopComputerToolset` (the SDK's `BetaAbstractComputerToolset20260801`
 * served by desktopd) on a real desktop, every backend, without a model:
 *
 * - `toolResult()` for each of the 17 members has its effect, read back from
 *   the X server (a test window records the events) or from the answer: keys
 *   and typed text, buttons and their counts, the pointer, images of the
 *   declared size;
 * - the SDK's own tool runner against a local stand-in of the Messages API
 *   that scripts the model's turns: a turn of three calls whose second fails
 *   ends with the failure in the next request as the SDK formats it, the
 *   third answered "Not executed", and nothing after the failed call reached
 *   the X server.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import sharp from "sharp";
import { DesktopComputerToolset } from "../src/client/anthropic.js";
import type { DesktopClient } from "../src/client/client.js";
import { contractBackends, useServer } from "./helpers/server.js";
import { type RecordedEvent, SHIFT_MASK, useRecordingScreen } from "./helpers/xwindow.js";

const declaredSize = { width: 1280, height: 720 };
const of = (evs: RecordedEvent[], type: RecordedEvent["type"]) => evs.filter((e) => e.type === type);
let ids = 0;
const use = (name: string, input: Record<string, unknown> = {}) =>
  ({ type: "tool_use", id: `toolu_${++ids}`, name, input, toolset_name: "computer" }) as Parameters<
    DesktopComputerToolset["toolResult"]
  >[0];

type Block = { type: string; text?: string; source?: { data: string } };
const blocks = (r: { content?: unknown }) => (Array.isArray(r.content) ? (r.content as Block[]) : []);
const textOf = (r: { content?: unknown }) =>
  blocks(r)
    .filter((b) => b.type === "text")
    .map((b) => b.text)
    .join(" ");
async function imageSize(r: { content?: unknown }): Promise<[number, number]> {
  const image = blocks(r).find((b) => b.type === "image");
  assert.ok(image?.source, `an image block in ${JSON.stringify(r).slice(0, 300)}`);
  const meta = await sharp(Buffer.from(image.source.data, "base64")).metadata();
  return [meta.width ?? 0, meta.height ?? 0];
}

/** A stand-in of the Messages API: answers each request with the next scripted assistant turn, and keeps the requests. */
async function standIn(
  turns: object[][],
): Promise<{ url: string; requests: { messages: { role: string; content: unknown }[] }[]; close(): void }> {
  const requests: { messages: { role: string; content: unknown }[] }[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      requests.push(JSON.parse(body));
      const content = turns[requests.length - 1] ?? [{ type: "text", text: "done" }];
      const toolUse = content.some((b) => (b as { type: string }).type === "tool_use");
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: `msg_${requests.length}`,
          type: "message",
          role: "assistant",
          model: "claude-stand-in",
          content,
          stop_reason: toolUse ? "tool_use" : "end_turn",
          stop_sequence: null,
          usage: { input_tokens: 1, output_tokens: 1 },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => server.close() };
}

for (const backend of contractBackends())
  describe(`Anthropic's computer toolset on desktopd: ${backend.name}`, () => {
    const t = useServer(() => backend.start());
    const w = useRecordingScreen(() => t().x11());
    let client: DesktopClient;
    let toolset: DesktopComputerToolset;
    before(async () => {
      client = t().grpc;
      // The SDK asks for a confirm callable for the members that type; this spec's operator approves every call.
      toolset = new DesktopComputerToolset(client, { confirm: () => true });
    });
    after(() => toolset.close());

    const ok = async (name: string, input?: Record<string, unknown>) => {
      const r = await toolset.toolResult(use(name, input));
      assert.notEqual(r.is_error, true, `${name}: ${JSON.stringify(r.content)}`);
      return r;
    };
    const keysyms = async (evs: RecordedEvent[]) => Promise.all(of(evs, "KeyPress").map((e) => w().keysym(e)));

    it("the declared size is the service's default one (1280x720 for 1920x1080); screenshot and zoom fit it", async () => {
      assert.deepEqual(await toolset.size(), declaredSize);
      assert.deepEqual(await imageSize(await ok("screenshot")), [1280, 720]);
      assert.deepEqual(await imageSize(await ok("zoom", { region: [0, 0, 320, 90] })), [1280, 360], "a 4:1 region fits 1280 wide");
      assert.deepEqual(await imageSize(await ok("zoom", { region: [100, 100, 200, 300] })), [360, 720], "a 1:2 region fits 720 high");
    });

    it("key (with repeat), hold_key and type press what they say", async () => {
      await ok("key", { text: "a", repeat: 3 });
      await ok("type", { text: "hi" });
      let evs = await w().waitFor((e) => of(e, "KeyRelease").length >= 5);
      assert.deepEqual(await keysyms(evs), [0x61, 0x61, 0x61, 0x68, 0x69]);
      w().clear();
      const held = performance.now();
      await ok("hold_key", { text: "b", duration: 0.2 });
      // The service holds the key for the duration before it answers (event arrival times would measure the machine's load).
      assert.ok(performance.now() - held >= 200, `answered after ${performance.now() - held} ms`);
      evs = await w().waitFor((e) => of(e, "KeyRelease").length === 1);
      assert.deepEqual(await keysyms(evs), [0x62]);
    });

    it("mouse_move, cursor_position, the clicks, the button members, drag and scroll act in screenshot pixels", async () => {
      await ok("mouse_move", { coordinate: [640, 360] });
      assert.match(textOf(await ok("cursor_position")), /X=640,Y=360/);
      await ok("left_click", { coordinate: [100, 100], text: "shift" });
      await ok("right_click", { coordinate: [110, 100] });
      await ok("middle_click", { coordinate: [120, 100] });
      await ok("double_click", { coordinate: [130, 100] });
      await ok("triple_click", { coordinate: [140, 100] });
      await ok("left_mouse_down");
      await ok("left_mouse_up");
      await ok("left_click_drag", { start_coordinate: [200, 200], coordinate: [300, 250] });
      await ok("scroll", { coordinate: [640, 360], scroll_direction: "down", scroll_amount: 2 });
      await ok("wait", { duration: 0.1 });
      const evs = await w().waitFor((e) => of(e, "ButtonRelease").length === 12);
      assert.deepEqual(
        of(evs, "ButtonPress").map((e) => [e.detail, e.rootX, e.rootY]),
        [
          [1, 150, 150],
          [3, 165, 150],
          [2, 180, 150],
          [1, 195, 150],
          [1, 195, 150],
          [1, 210, 150],
          [1, 210, 150],
          [1, 210, 150],
          [1, 210, 150],
          [1, 300, 300],
          [5, 960, 540],
          [5, 960, 540],
        ],
      );
      assert.ok(of(evs, "ButtonPress")[0].state & SHIFT_MASK, "shift held during the left_click");
      const dragEnd = of(evs, "ButtonRelease")[9];
      assert.deepEqual([dragEnd.rootX, dragEnd.rootY], [450, 375]);
    });

    it("the SDK's tool runner: a turn whose second call fails stops there; the failure reaches the next request; nothing after it reached the desktop", async () => {
      const api = await standIn([
        [
          { type: "tool_use", id: "toolu_a", name: "left_click", input: { coordinate: [10, 10] }, toolset_name: "computer" },
          { type: "tool_use", id: "toolu_b", name: "left_click", input: { coordinate: [5000, 10] }, toolset_name: "computer" },
          { type: "tool_use", id: "toolu_c", name: "type", input: { text: "never" }, toolset_name: "computer" },
        ],
      ]);
      try {
        const anthropic = new Anthropic({ apiKey: "stand-in", baseURL: api.url, maxRetries: 0 });
        const runner = anthropic.beta.messages.toolRunner({
          model: "claude-stand-in",
          max_tokens: 256,
          messages: [{ role: "user", content: "click twice and type" }],
          tools: [toolset],
        });
        const last = await runner.runUntilDone();
        assert.equal(last.stop_reason, "end_turn");
        assert.equal(api.requests.length, 2);
        const results = api.requests[1].messages.at(-1)?.content as { tool_use_id: string; is_error?: boolean; content: unknown }[];
        const byId = Object.fromEntries(results.map((r) => [r.tool_use_id, r]));
        assert.notEqual(byId.toolu_a?.is_error, true);
        assert.equal(byId.toolu_b?.is_error, true);
        assert.match(JSON.stringify(byId.toolu_b?.content), /left_click\.coordinate: \(5000, 10\) is off the 1280x720 screen/);
        assert.match(JSON.stringify(byId.toolu_c?.content), /Not executed: an earlier computer action in this turn failed\./);
      } finally {
        api.close();
      }
      // A click after the turn: once it arrives, anything of the turn would have arrived before it.
      await client.action({ action: { case: "leftClick", value: { coordinate: { x: 1, y: 1 } } } });
      const evs = await w().waitFor((e) => of(e, "ButtonRelease").length === 2);
      assert.deepEqual(
        of(evs, "ButtonPress").map((e) => [e.rootX, e.rootY]),
        [
          [15, 15],
          [1, 1],
        ],
        "the first call's click, then the spec's: not the refused one",
      );
      assert.equal(of(evs, "KeyPress").length, 0, "the call after the failure typed nothing");
    });
  });
