/** Anthropic computer-use tool inputs map to ActionRequests, and responses to tool results. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ActionRequestSchema, ActionResponseSchema, ImageFormat, ScrollDirection, SettleSchema } from "../../gen/desktop/v1/desktop_pb.js";
import {
  COMPUTER_USE_ACTIONS,
  type ComputerUseInput,
  type ToActionRequestOptions,
  toActionRequest as toInit,
  toToolResult,
} from "../../src/client/computer-use.js";

/** The request as the client sends it. */
const toActionRequest = (input: ComputerUseInput, opts?: ToActionRequestOptions) => create(ActionRequestSchema, toInit(input, opts));

describe("toActionRequest", () => {
  const scaledSize = { width: 1280, height: 720 };
  it("maps every action COMPUTER_USE_ACTIONS lists (the MCP computer tool's schema) to an Action, each to its own case", () => {
    const cases = COMPUTER_USE_ACTIONS.map((action) => toActionRequest({ action }).action.case);
    assert.equal(new Set(cases).size, COMPUTER_USE_ACTIONS.length, cases.join(" "));
    assert.ok(!cases.includes(undefined));
  });
  it("left_click with coordinate and modifier text", () => {
    const r = toActionRequest({ action: "left_click", coordinate: [640, 360], text: "shift" }, { scaledSize });
    assert.equal(r.action.case, "leftClick");
    assert.deepEqual([r.action.value?.coordinate?.x, r.action.value?.coordinate?.y, r.scaledSize?.width], [640, 360, 1280]);
    assert.equal(r.action.case === "leftClick" && r.action.value.modifiers, "shift");
  });
  it("scroll direction and amount", () => {
    const r = toActionRequest({ action: "scroll", coordinate: [1, 2], scroll_direction: "up", scroll_amount: 5 });
    assert.ok(r.action.case === "scroll");
    assert.deepEqual([r.action.value.direction, r.action.value.amount], [ScrollDirection.UP, 5]);
  });
  it("durations are seconds in the tool and milliseconds in the proto", () => {
    const h = toActionRequest({ action: "hold_key", text: "a", duration: 1.5 });
    assert.ok(h.action.case === "holdKey" && h.action.value.durationMs === 1500);
    const w = toActionRequest({ action: "wait", duration: 2 });
    assert.ok(w.action.case === "wait" && w.action.value.durationMs === 2000);
  });
  it("drag, key, type, cursor_position, screenshot", () => {
    const d = toActionRequest({ action: "left_click_drag", start_coordinate: [1, 2], coordinate: [3, 4] });
    assert.ok(d.action.case === "leftClickDrag" && d.action.value.startCoordinate?.x === 1 && d.action.value.coordinate?.y === 4);
    assert.equal(toActionRequest({ action: "key", text: "ctrl+c" }).action.case, "key");
    assert.equal(toActionRequest({ action: "type", text: "hi" }).action.case, "type");
    assert.equal(toActionRequest({ action: "cursor_position" }).action.case, "cursorPosition");
    assert.equal(toActionRequest({ action: "screenshot" }).action.case, "screenshot");
  });
  it("zoom's [x1,y1,x2,y2] region needs tool version 20251124", () => {
    const z = toActionRequest({ action: "zoom", region: [10, 20, 110, 70] }, { version: "20251124" });
    assert.ok(z.action.case === "zoom");
    assert.deepEqual(
      z.action.value.region && [
        z.action.value.region.x,
        z.action.value.region.y,
        z.action.value.region.width,
        z.action.value.region.height,
      ],
      [10, 20, 100, 50],
    );
    assert.throws(() => toActionRequest({ action: "zoom", region: [0, 0, 1, 1] }, { version: "20250124" }));
  });
  it("unknown actions are errors", () => {
    assert.throws(() => toActionRequest({ action: "teleport" }), /Unknown action: teleport/);
  });
  it("actions that act settle with the service's defaults unless told; looking does not; capture_after rides along", () => {
    assert.deepEqual(toActionRequest({ action: "left_click", coordinate: [1, 2] }).settle, create(SettleSchema, {}));
    assert.deepEqual(toActionRequest({ action: "wait", duration: 1 }).settle, create(SettleSchema, {}));
    assert.equal(toActionRequest({ action: "screenshot" }).settle, undefined);
    assert.equal(toActionRequest({ action: "cursor_position" }).settle, undefined);
    assert.equal(toActionRequest({ action: "type", text: "x" }, { settle: false }).settle, undefined);
    const r = toActionRequest({ action: "type", text: "x" }, { settle: { quietMs: 100 }, captureAfter: { format: ImageFormat.JPEG } });
    assert.deepEqual([r.settle?.quietMs, r.captureAfter?.format], [100, ImageFormat.JPEG]);
  });
  it("left_mouse_down and left_mouse_up carry their coordinate (the service moves there first)", () => {
    for (const action of ["left_mouse_down", "left_mouse_up"]) {
      const r = toActionRequest({ action, coordinate: [30, 40] });
      assert.ok(r.action.case === "leftMouseDown" || r.action.case === "leftMouseUp");
      assert.deepEqual([r.action.value.coordinate?.x, r.action.value.coordinate?.y], [30, 40]);
    }
  });
  it("errors are ConnectErrors with Code.InvalidArgument, as the service's", () => {
    for (const bad of [
      () => toInit({ action: "teleport" }),
      () => toInit({ action: "scroll", scroll_direction: "sideways" as "up" }),
      () => toInit({ action: "zoom", region: [0, 0, 1, 1] }, { version: "20250124" }),
    ]) {
      assert.throws(bad, (e) => e instanceof ConnectError && e.code === Code.InvalidArgument);
    }
  });
  it("returns a plain object: a spread with overrides is still a request the client can send", () => {
    const spread = { ...toInit({ action: "left_click", coordinate: [1, 2] }), captureAfter: { format: ImageFormat.JPEG } };
    const wire = toBinary(ActionRequestSchema, create(ActionRequestSchema, spread));
    assert.ok(wire.length > 0);
    assert.equal(toActionRequest({ action: "left_click", coordinate: [1, 2] }, { clampCoordinates: true }).clampCoordinates, true);
    assert.equal(toActionRequest({ action: "left_click", coordinate: [1, 2] }).clampCoordinates, false);
  });
});

describe("toToolResult", () => {
  it("gives the output text, then the screenshot as a base64 image block with its media type", () => {
    const png = Buffer.from("89504e470d0a1a0a", "hex");
    const res = create(ActionResponseSchema, {
      output: "screenshot",
      screenshot: { data: png, format: ImageFormat.PNG, width: 1, height: 1 },
    });
    assert.deepEqual(toToolResult(res), [
      { type: "text", text: "screenshot" },
      { type: "image", source: { type: "base64", media_type: "image/png", data: png.toString("base64") } },
    ]);
    const jpeg = create(ActionResponseSchema, { output: "x", screenshot: { data: Buffer.from([0xff, 0xd8]), format: ImageFormat.JPEG } });
    const [, image] = toToolResult(jpeg);
    assert.equal(image?.type === "image" && image.source.media_type, "image/jpeg");
  });
  it("is the text alone when there is no screenshot", () => {
    assert.deepEqual(toToolResult(create(ActionResponseSchema, { output: "x=640,y=360" })), [{ type: "text", text: "x=640,y=360" }]);
  });
});
