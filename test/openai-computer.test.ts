/**
 * `@desktopd/client/openai` on a real desktop, every backend: a Responses
 * API `computer_call` (the `openai` package's types) with a batch of
 * `actions[]` runs as one ActionBatch: clicks with held keys, a keypress, a
 * drag along its path, a scroll and typing arrive at the X server in order
 * at native pixels, and the answer is a `computer_call_output` whose data
 * URL is a PNG of the declared size. A single `action` works the same; a
 * screenshot-only call just answers; a button X does not have is refused
 * before anything runs.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { ResponseComputerToolCall } from "openai/resources/responses/responses";
import sharp from "sharp";
import type { DesktopClient } from "../src/client/client.js";
import { runComputerCall } from "../src/client/openai.js";
import { contractBackends, useServer } from "./helpers/server.js";
import { type RecordedEvent, SHIFT_MASK, useRecordingScreen } from "./helpers/xwindow.js";

const scaledSize = { width: 1280, height: 720 };
const of = (evs: RecordedEvent[], type: RecordedEvent["type"]) => evs.filter((e) => e.type === type);
const call = (c: Pick<ResponseComputerToolCall, "action" | "actions">) => ({ call_id: "call_1", ...c });

/** The PNG inside a computer_call_output's data URL: its size. */
async function pngSize(url: string | undefined): Promise<[number, number]> {
  const m = /^data:image\/png;base64,(.+)$/.exec(url ?? "");
  assert.ok(m, "a PNG data URL");
  const meta = await sharp(Buffer.from(m[1], "base64")).metadata();
  return [meta.width ?? 0, meta.height ?? 0];
}

for (const backend of contractBackends())
  describe(`OpenAI computer_call batches: ${backend.name}`, () => {
    const t = useServer(() => backend.start());
    const w = useRecordingScreen(() => t().x11());
    let client: DesktopClient;
    before(async () => {
      client = t().grpc;
    });

    it("actions[] run in order as one batch; the output is the screenshot after them", async () => {
      const { output, response, failed } = await runComputerCall(
        client,
        call({
          actions: [
            { type: "click", button: "left", x: 100, y: 100, keys: ["SHIFT"] },
            { type: "keypress", keys: ["CTRL", "A"] },
            {
              type: "drag",
              path: [
                { x: 200, y: 200 },
                { x: 300, y: 250 },
                { x: 400, y: 300 },
              ],
            },
            { type: "scroll", x: 640, y: 360, scroll_x: 0, scroll_y: -300 },
            { type: "type", text: "ok" },
            { type: "screenshot" },
          ],
        }),
        { scaledSize },
      );
      assert.equal(failed, undefined);
      assert.equal(response.results.length, 9, "click, keypress, the drag as move, down, move, move, up, scroll, type");
      assert.deepEqual([output.type, output.call_id, output.output.type], ["computer_call_output", "call_1", "computer_screenshot"]);
      assert.deepEqual(await pngSize(output.output.image_url), [1280, 720]);
      const evs = await w().waitFor((e) => of(e, "ButtonRelease").length === 5 && of(e, "KeyRelease").length >= 4);
      const buttons = of(evs, "ButtonPress").map((e) => [e.detail, e.rootX, e.rootY]);
      assert.deepEqual(buttons, [
        [1, 150, 150],
        [1, 300, 300],
        [4, 960, 540],
        [4, 960, 540],
        [4, 960, 540],
      ]);
      assert.ok(of(evs, "ButtonPress")[0].state & SHIFT_MASK, "SHIFT held during the click");
      const drag = of(evs, "ButtonRelease")[1];
      assert.deepEqual([drag.rootX, drag.rootY], [600, 450], "the drag ends at the path's last point");
    });

    it("a single action, and a screenshot-only call, answer the same way", async () => {
      const one = await runComputerCall(client, call({ action: { type: "move", x: 10, y: 20 } }), { scaledSize });
      assert.deepEqual([one.response.cursor?.x, one.response.cursor?.y], [10, 20]);
      const look = await runComputerCall(client, call({ actions: [{ type: "screenshot" }] }));
      assert.deepEqual(await pngSize(look.output.output.image_url), [1920, 1080]);
    });

    it("a button X has no number for is refused before anything runs", async () => {
      await assert.rejects(
        runComputerCall(
          client,
          call({
            actions: [
              { type: "move", x: 5, y: 5 },
              { type: "click", button: "back", x: 1, y: 1 },
            ],
          }),
        ),
        /the back button is not supported/,
      );
      await client.action({ action: { case: "leftClick", value: { coordinate: { x: 3, y: 3 } } } });
      const evs = await w().waitFor((e) => of(e, "ButtonRelease").length === 1);
      assert.deepEqual(
        of(evs, "ButtonPress").map((e) => [e.rootX, e.rootY]),
        [[3, 3]],
      );
    });
  });
