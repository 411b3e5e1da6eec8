/**
 * Behaviour an agent loop built for Anthropic's reference computer tool
 * (anthropics/anthropic-quickstarts, computer-use-demo/computer_use_demo/tools/computer.py)
 * relies on, on a real Xvnc desktop and every backend, driven through the TS
 * helper the way a loop does: tool input -> toActionRequest -> Action ->
 * toToolResult.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import type { DesktopClient } from "../src/client/client.js";
import { type ComputerUseInput, toActionRequest, toToolResult } from "../src/client/computer-use.js";
import { contractBackends, useServer } from "./helpers/server.js";
import { CONTROL_MASK, type RecordedEvent, useRecordingScreen } from "./helpers/xwindow.js";

const scaledSize = { width: 1280, height: 720 };
const presses = (evs: RecordedEvent[], type: RecordedEvent["type"]) => evs.filter((e) => e.type === type);

for (const backend of contractBackends())
  describe(`agent harness on a real desktop: ${backend.name}`, () => {
    const t = useServer(() => backend.start());
    const w = useRecordingScreen(() => t().x11());
    let client: DesktopClient;
    const act = (input: ComputerUseInput, clampCoordinates = false) =>
      client.action(toActionRequest(input, { scaledSize, settle: false, clampCoordinates }));

    before(async () => {
      client = t().grpc;
    });

    it("left_click_drag answers cursor = the end point, where the pointer is", async () => {
      const res = await act({ action: "left_click_drag", start_coordinate: [10, 20], coordinate: [400, 300] });
      assert.deepEqual([res.cursor?.x, res.cursor?.y], [400, 300]);
      const evs = await w().waitFor((e) => presses(e, "ButtonRelease").length === 1);
      const up = presses(evs, "ButtonRelease")[0];
      assert.deepEqual([up.rootX, up.rootY], [600, 450]);
      const where = await act({ action: "cursor_position" });
      assert.equal(where.output, "x=400,y=300");
    });

    it('key "ctrl+a BackSpace" presses the two combos in order, as xdotool key does', async () => {
      await act({ action: "key", text: "ctrl+a BackSpace" });
      const evs = await w().waitFor((e) => presses(e, "KeyRelease").length === 3);
      const down = presses(evs, "KeyPress");
      const keysyms = [];
      for (const e of down) keysyms.push(await w().keysym({ ...e, state: 0 }));
      assert.deepEqual(keysyms, [0xffe3 /* Control_L */, 0x61 /* a */, 0xff08 /* BackSpace */]);
      assert.equal(down[1].state & CONTROL_MASK, CONTROL_MASK, "a with ctrl held");
      assert.equal(down[2].state & CONTROL_MASK, 0, "BackSpace after ctrl was released");
    });

    it("a key sequence with one unknown name presses nothing: INVALID_ARGUMENT naming key.text", async () => {
      const err = await act({ action: "key", text: "ctrl+a NoSuchKey" }).catch((e) => ConnectError.from(e));
      assert.ok(err instanceof ConnectError);
      assert.equal(err.code, Code.InvalidArgument);
      assert.match(err.rawMessage, /key\.text.*NoSuchKey/);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(presses(w().events, "KeyPress").length, 0);
    });

    it("coordinates off the declared screen are INVALID_ARGUMENT naming the field and the screen size; nothing moves or clicks", async () => {
      const before = await act({ action: "cursor_position" });
      for (const [input, field] of [
        [{ action: "left_click", coordinate: [1280, 10] }, "left_click.coordinate"],
        [{ action: "mouse_move", coordinate: [-1, 10] }, "mouse_move.coordinate"],
        [{ action: "left_click_drag", start_coordinate: [5, 5], coordinate: [10, 720] }, "left_click_drag.coordinate"],
        [{ action: "scroll", coordinate: [2000, 2000], scroll_direction: "down" }, "scroll.coordinate"],
        [{ action: "left_mouse_down", coordinate: [0, 9999] }, "left_mouse_down.coordinate"],
      ] as const) {
        const err = await act(input as ComputerUseInput).catch((e) => ConnectError.from(e));
        assert.ok(err instanceof ConnectError, `${input.action} was accepted`);
        assert.equal(err.code, Code.InvalidArgument, err.message);
        assert.ok(err.rawMessage.includes(field) && err.rawMessage.includes("1280x720"), err.rawMessage);
      }
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(presses(w().events, "ButtonPress").length, 0, "nothing clicked");
      assert.equal((await act({ action: "cursor_position" })).output, before.output, "nothing moved");
    });

    it("clamp_coordinates keeps the old behaviour: clamped to the edge pixel and clicked", async () => {
      const res = await act({ action: "left_click", coordinate: [5000, 100] }, true);
      assert.deepEqual([res.cursor?.x, res.cursor?.y], [1279, 100]);
      const evs = await w().waitFor((e) => presses(e, "ButtonRelease").length === 1);
      assert.equal(presses(evs, "ButtonPress")[0].rootX, 1919);
    });

    it("left_mouse_down and left_mouse_up with a coordinate move there first: a drag in three calls", async () => {
      await act({ action: "left_mouse_down", coordinate: [100, 100] });
      await act({ action: "left_mouse_up", coordinate: [200, 150] });
      const evs = await w().waitFor((e) => presses(e, "ButtonRelease").length === 1);
      const [down] = presses(evs, "ButtonPress");
      const [up] = presses(evs, "ButtonRelease");
      assert.deepEqual([down.rootX, down.rootY, up.rootX, up.rootY], [150, 150, 300, 225]);
    });

    it("toToolResult gives the text and the screenshot a tool_result carries", async () => {
      const blocks = toToolResult(await act({ action: "screenshot" }));
      assert.deepEqual(blocks[0], { type: "text", text: "screenshot" });
      const image = blocks[1];
      assert.ok(image?.type === "image");
      assert.equal(image.source.media_type, "image/png");
      const png = Buffer.from(image.source.data, "base64");
      assert.equal(png.subarray(1, 4).toString(), "PNG");
      assert.equal(png.readUInt32BE(16), 1280, "declared width");
    });
  });
