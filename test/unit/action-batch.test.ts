/**
 * ActionBatch, in memory over a FakeDesktop: the actions run in order on one
 * session, each reported with its output, cursor and phases; every action is
 * checked before the first runs (a bad one is INVALID_ARGUMENT naming
 * `actions[k]...` and the desktop sees nothing); the first failure stops the
 * rest (not executed, never reaching the desktop); the settle and
 * screenshot come once, after the last action that ran, and not when the
 * desktop itself failed. Every action of the Action table can be checked
 * without a desktop.
 */
import assert from "node:assert/strict";
import { before, beforeEach, describe, it } from "node:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type ActionBatchRequestSchema,
  ActionRequestSchema,
  BatchedActionSchema,
  BatchedActionStatus,
  ImageFormat,
} from "../../gen/desktop/v1/desktop_pb.js";
import { DesktopUnavailableError, FailedPreconditionError } from "../../src/desktop/errors.js";
import { Geometry } from "../../src/desktop/geometry.js";
import { checkAction } from "../../src/server/rpc/action.js";
import { useInMemory } from "../helpers/in-memory.js";

type Batch = MessageInitShape<typeof ActionBatchRequestSchema>;
type One = MessageInitShape<typeof BatchedActionSchema>;
const { DONE, FAILED, NOT_EXECUTED } = BatchedActionStatus;

const move = (x: number, y: number): One => ({ action: { case: "mouseMove", value: { coordinate: { x, y } } } });
const click = (x: number, y: number): One => ({ action: { case: "leftClick", value: { coordinate: { x, y } } } });
const type = (text: string): One => ({ action: { case: "type", value: { text } } });
const code = (e: unknown) => ConnectError.from(e).code;

describe("ActionBatch, in memory", () => {
  const service = useInMemory();
  const batch = (req: Batch) => service().client.actionBatch(req);
  /** What reached the desktop, cursor reads left out. */
  const effects = () =>
    service()
      .desktop.calls.filter((c) => c.method !== "cursorPosition")
      .map((c) => c.method);
  before(() => service().host.session());
  beforeEach(() => {
    service().desktop.calls.length = 0;
    service().desktop.pointer = { x: 0, y: 0 };
  });

  it("runs the actions in order on one session, each with its output, cursor and phases", async () => {
    const res = await batch({
      scaledSize: { width: 1280, height: 720 },
      actions: [move(10, 20), click(640, 360), type("hi"), { action: { case: "cursorPosition", value: {} } }],
    });
    assert.deepEqual(effects(), ["move", "click", "type"]);
    assert.deepEqual(
      res.results.map((r) => [r.status, r.output, r.cursor?.x, r.cursor?.y]),
      [
        [DONE, "mouse_move action performed", 10, 20],
        [DONE, "left_click action performed", 640, 360],
        [DONE, "type action performed", 640, 360],
        [DONE, "x=640,y=360", 640, 360],
      ],
    );
    assert.deepEqual([res.cursor?.x, res.cursor?.y], [640, 360]);
    assert.ok(res.results.every((r) => r.phases !== undefined));
    assert.ok(res.phases && res.phases.inputUs >= res.results[0].phases!.inputUs);
  });

  it("checks every action before the first runs: a bad one is INVALID_ARGUMENT naming it, and nothing reaches the desktop", async () => {
    const bad: [One[], RegExp][] = [
      [[move(1, 1), move(2, 2), click(5000, 1)], /actions\[2\]\.left_click\.coordinate: \(5000, 1\) is off the 1920x1080 screen/],
      [[move(1, 1), { action: { case: "key", value: { text: "ctrl+nosuchkey" } } }], /actions\[1\]\.key\.text/],
      [[type("a"), {}], /actions\[1\]\.action: is required/],
      [[move(1, 1), { action: { case: "zoom", value: {} } }], /actions\[1\]\.zoom\.region/],
      [[move(1, 1), { action: { case: "holdKey", value: { text: "a", durationMs: 120_000 } } }], /actions\[1\]\.hold_key\.duration_ms/],
    ];
    for (const [actions, message] of bad) {
      await assert.rejects(batch({ actions }), (e) => code(e) === Code.InvalidArgument && message.test(ConnectError.from(e).rawMessage));
    }
    await assert.rejects(batch({ actions: [] }), (e) => code(e) === Code.InvalidArgument && /actions: must hold 1 to 64/.test(String(e)));
    const many = Array.from({ length: 65 }, (_, i) => move(i, i));
    await assert.rejects(batch({ actions: many }), (e) => code(e) === Code.InvalidArgument && /not 65/.test(String(e)));
    assert.deepEqual(effects(), []);
  });

  it("stops at the first failure: later actions are not executed and never reach the desktop; the screenshot still comes", async () => {
    service().desktop.failNext("type", new FailedPreconditionError("the text field went away"));
    const res = await batch({
      actions: [move(3, 4), type("lost"), click(7, 8), move(9, 9)],
      captureAfter: { format: ImageFormat.PNG },
    });
    assert.deepEqual(
      res.results.map((r) => r.status),
      [DONE, FAILED, NOT_EXECUTED, NOT_EXECUTED],
    );
    assert.deepEqual([res.results[1].code, res.results[1].message], [Code.FailedPrecondition, "the text field went away"]);
    assert.deepEqual(effects(), ["move", "type", "capture"]);
    assert.deepEqual([res.cursor?.x, res.cursor?.y], [3, 4], "the pointer after the last action done");
    assert.ok(res.screenshot && res.screenshot.data.length > 0);
  });

  it("when the desktop itself fails, no settle or screenshot is tried", async () => {
    service().desktop.failNext("click", new DesktopUnavailableError("the X server went away"));
    const res = await batch({ actions: [click(1, 1), move(2, 2)], captureAfter: { format: ImageFormat.PNG }, settle: {} });
    assert.deepEqual(
      res.results.map((r) => [r.status, r.code]),
      [
        [FAILED, Code.Unavailable],
        [NOT_EXECUTED, 0],
      ],
    );
    assert.equal(res.screenshot, undefined);
    assert.deepEqual(effects(), ["click"]);
  });

  it("every action of the Action table can be checked without a desktop", async () => {
    const geo = new Geometry({ width: 1920, height: 1080 }, { width: 1920, height: 1080 });
    const valid: One["action"][] = [
      { case: "key", value: { text: "ctrl+a Return" } },
      { case: "keyDown", value: { text: "shift" } },
      { case: "keyUp", value: { text: "shift" } },
      { case: "type", value: { text: "x" } },
      { case: "cursorPosition", value: {} },
      { case: "mouseMove", value: { coordinate: { x: 1, y: 1 } } },
      { case: "leftClick", value: {} },
      { case: "rightClick", value: {} },
      { case: "middleClick", value: {} },
      { case: "doubleClick", value: {} },
      { case: "tripleClick", value: {} },
      { case: "leftClickDrag", value: { startCoordinate: { x: 1, y: 1 }, coordinate: { x: 2, y: 2 } } },
      { case: "leftMouseDown", value: {} },
      { case: "leftMouseUp", value: {} },
      { case: "scroll", value: {} },
      { case: "holdKey", value: { text: "a", durationMs: 10 } },
      { case: "screenshot", value: {} },
      { case: "wait", value: { durationMs: 10 } },
      { case: "zoom", value: { region: { x: 0, y: 0, width: 10, height: 10 } } },
    ];
    assert.equal(valid.length, ActionRequestSchema.oneofs[0].fields.length, "one case per action");
    for (const action of valid) await checkAction(create(BatchedActionSchema, { action }).action, geo, false, "actions[0].");
    assert.deepEqual(effects(), []);
  });
});

describe("frame ids, in memory", () => {
  const service = useInMemory();
  const effects = () =>
    service()
      .desktop.calls.filter((c) => !["cursorPosition", "capture", "close", "start"].includes(c.method))
      .map((c) => c.method);
  before(() => service().host.session());
  beforeEach(() => {
    service().desktop.calls.length = 0;
  });
  const screenshot = async (scaledSize?: { width: number; height: number }) => {
    const res = await service().client.action({ scaledSize, action: { case: "screenshot", value: {} } });
    const frame = res.screenshot?.frame;
    assert.ok(frame?.id);
    return frame;
  };

  it("every image names its frame: id, declared size and native size", async () => {
    const frame = await screenshot({ width: 1280, height: 720 });
    assert.deepEqual(
      [frame.declaredSize?.width, frame.declaredSize?.height, frame.nativeSize?.width, frame.nativeSize?.height],
      [1280, 720, 1920, 1080],
    );
    const batch = await service().client.actionBatch({ actions: [{ action: { case: "screenshot", value: {} } }], captureAfter: {} });
    const ids = [frame.id, batch.results[0].image?.frame?.id, batch.screenshot?.frame?.id];
    assert.equal(new Set(ids).size, 3, "a new id per image");
    for await (const shot of service().client.screenshot({ maxFps: 0 })) assert.ok(shot.image?.frame?.id);
  });

  it("an action naming its frame runs in that frame's declared space", async () => {
    const frame = await screenshot({ width: 1280, height: 720 });
    await service().client.action({ frameId: frame.id, action: { case: "leftClick", value: { coordinate: { x: 640, y: 360 } } } });
    assert.deepEqual(service().desktop.argsOf("click").at(-1)?.[2], { x: 960, y: 540 });
    await assert.rejects(
      service().client.action({ frameId: frame.id, scaledSize: { width: 800, height: 600 }, action: { case: "leftClick", value: {} } }),
      (e) => code(e) === Code.InvalidArgument && /scaled_size: 800x600 differs from frame/.test(String(e)),
    );
  });

  it("a frame that no longer holds is FAILED_PRECONDITION and nothing runs: unknown, another session, another geometry", async () => {
    const click = { case: "leftClick" as const, value: { coordinate: { x: 1, y: 1 } } };
    await assert.rejects(
      service().client.action({ frameId: "0000-1", action: click }),
      (e) => code(e) === Code.FailedPrecondition && /frame 0000-1 is unknown/.test(String(e)),
    );
    const old = await screenshot();
    const desktop = service().desktop;
    Object.defineProperty(desktop, "native", { value: { width: 1280, height: 800 }, configurable: true });
    try {
      await assert.rejects(
        service().client.actionBatch({ frameId: old.id, actions: [{ action: click }, { action: click }] }),
        (e) =>
          code(e) === Code.FailedPrecondition &&
          /geometry changed since frame .*: it showed a 1920x1080 screen, now 1280x800/.test(String(e)),
      );
    } finally {
      Object.defineProperty(desktop, "native", { value: { width: 1920, height: 1080 }, configurable: true });
    }
    await service().host.reset();
    await assert.rejects(
      service().client.action({ frameId: old.id, action: click }),
      (e) => code(e) === Code.FailedPrecondition && /was reset or replaced since frame/.test(String(e)),
    );
    assert.deepEqual(effects(), []);
  });
});
