/**
 * The Action RPC's mapping, in memory over a FakeDesktop: declared points
 * become native ones, defaults fill in, outputs keep their texts, capture_after
 * adds a screenshot, hold_key lets go when the call is cancelled, and every
 * bad field is INVALID_ARGUMENT naming it before the desktop is touched.
 */
import assert from "node:assert/strict";
import { before, beforeEach, describe, it } from "node:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import sharp from "sharp";
import { type ActionRequestSchema, ImageFormat, ScrollDirection } from "../../gen/desktop/v1/desktop_pb.js";
import { FakeClock } from "../helpers/clock.js";
import { useInMemory } from "../helpers/in-memory.js";

type Request = MessageInitShape<typeof ActionRequestSchema>;
const scaled = { width: 1280, height: 720 };

describe("Action, in memory", () => {
  const clock = new FakeClock();
  const service = useInMemory(undefined, { clock });
  /** An Action, virtual time moving while it runs (hold_key and wait sleep on it). */
  const act = async (req: Request, signal?: AbortSignal) => {
    let done = false;
    const call = service()
      .client.action(req, { signal })
      .finally(() => {
        done = true;
      });
    call.catch(() => undefined);
    await clock.until(() => done, 60_000, 10);
    return call;
  };
  /** What the action sent the desktop (every Action also reads the cursor it answers with). */
  const effects = () =>
    service()
      .desktop.calls.filter((c) => c.method !== "cursorPosition")
      .map(({ method, args }) => ({ method, args }));
  before(() => service().host.session());
  beforeEach(() => {
    const d = service().desktop;
    d.calls.length = 0;
    d.pointer = { x: 0, y: 0 };
  });

  it("declared points map to native pixels through pixel centres; cursor maps back", async () => {
    const res = await act({ scaledSize: scaled, action: { case: "leftClick", value: { coordinate: { x: 640, y: 360 } } } });
    assert.deepEqual(effects(), [{ method: "click", args: ["left", 1, { x: 960, y: 540 }, []] }]);
    assert.deepEqual([res.cursor?.x, res.cursor?.y], [640, 360]);
    await act({ scaledSize: scaled, action: { case: "mouseMove", value: { coordinate: { x: 853, y: 402 } } } });
    assert.deepEqual(service().desktop.pointer, { x: 1280, y: 603 });
  });

  it("without scaled_size, coordinates are native", async () => {
    await act({ action: { case: "mouseMove", value: { coordinate: { x: 5, y: 6 } } } });
    assert.deepEqual(service().desktop.argsOf("move"), [[{ x: 5, y: 6 }]]);
  });

  it("each click action is one Desktop.click with its button and count; modifiers are parsed keys", async () => {
    const cases = [
      ["leftClick", "left", 1],
      ["rightClick", "right", 1],
      ["middleClick", "middle", 1],
      ["doubleClick", "left", 2],
      ["tripleClick", "left", 3],
    ] as const;
    for (const [actionCase] of cases) {
      await act({ action: { case: actionCase, value: { modifiers: "ctrl+shift" } } });
    }
    assert.deepEqual(
      service().desktop.argsOf("click"),
      cases.map(([, button, count]) => [button, count, undefined, ["Control_L", "Shift_L"]]),
    );
  });

  it("scroll: 3 notches down by default; up/left/right signs; the point maps", async () => {
    await act({ scaledSize: scaled, action: { case: "scroll", value: { coordinate: { x: 100, y: 100 } } } });
    await act({ action: { case: "scroll", value: { direction: ScrollDirection.UP, amount: 5 } } });
    await act({ action: { case: "scroll", value: { direction: ScrollDirection.LEFT, amount: 1 } } });
    await act({ action: { case: "scroll", value: { direction: ScrollDirection.RIGHT, amount: 2, modifiers: "shift" } } });
    assert.deepEqual(service().desktop.argsOf("scroll"), [
      [{ x: 150, y: 150 }, 0, 3, []],
      [undefined, 0, -5, []],
      [undefined, -1, 0, []],
      [undefined, 2, 0, ["Shift_L"]],
    ]);
  });

  it("left_click_drag maps both ends; key, key_down, key_up and type pass parsed keys and text", async () => {
    await act({
      scaledSize: scaled,
      action: { case: "leftClickDrag", value: { startCoordinate: { x: 10, y: 20 }, coordinate: { x: 400, y: 300 } } },
    });
    await act({ action: { case: "key", value: { text: "CTRL+L" } } });
    await act({ action: { case: "keyDown", value: { text: "shift" } } });
    await act({ action: { case: "keyUp", value: { text: "shift" } } });
    await act({ action: { case: "type", value: { text: "-héllo" } } });
    assert.deepEqual(effects(), [
      {
        method: "drag",
        args: [
          { x: 15, y: 30 },
          { x: 600, y: 450 },
        ],
      },
      { method: "keyPress", args: [["Control_L", "l"]] },
      { method: "keyDown", args: [["Shift_L"]] },
      { method: "keyUp", args: [["Shift_L"]] },
      { method: "type", args: ["-héllo"] },
    ]);
  });

  it("cursor_position's output and cursor are one reading, even while other calls move the pointer (500 of 500)", async () => {
    let moves = 0;
    const movers = Array.from({ length: 500 }, (_, i) =>
      act({ action: { case: "mouseMove", value: { coordinate: { x: i, y: 1000 - i } } } }).then(() => moves++),
    );
    const reads = await Promise.all(Array.from({ length: 500 }, () => act({ action: { case: "cursorPosition", value: {} } })));
    await Promise.all(movers);
    assert.equal(moves, 500);
    const agree = reads.filter((r) => r.output === `x=${r.cursor?.x},y=${r.cursor?.y}`).length;
    assert.equal(agree, 500);
  });

  it('output texts: "<action> action performed", "screenshot", "x=<x>,y=<y>" in declared space', async () => {
    service().desktop.pointer = { x: 1280, y: 603 };
    assert.equal((await act({ scaledSize: scaled, action: { case: "cursorPosition", value: {} } })).output, "x=853,y=402");
    assert.equal((await act({ action: { case: "leftMouseDown", value: {} } })).output, "left_mouse_down action performed");
    assert.equal(
      (await act({ action: { case: "leftClickDrag", value: { startCoordinate: {}, coordinate: {} } } })).output,
      "left_click_drag action performed",
    );
    assert.equal((await act({ action: { case: "screenshot", value: {} } })).output, "screenshot");
  });

  it("screenshot is at the declared size in the asked format; zoom is the region at native resolution", async () => {
    const shot = await act({ scaledSize: scaled, action: { case: "screenshot", value: { format: ImageFormat.JPEG } } });
    assert.deepEqual([shot.screenshot?.format, shot.screenshot?.width, shot.screenshot?.height], [ImageFormat.JPEG, 1280, 720]);
    assert.equal((await sharp(Buffer.from(shot.screenshot?.data ?? [])).metadata()).format, "jpeg");
    const zoom = await act({ scaledSize: scaled, action: { case: "zoom", value: { region: { x: 0, y: 0, width: 640, height: 360 } } } });
    assert.deepEqual([zoom.screenshot?.format, zoom.screenshot?.width, zoom.screenshot?.height], [ImageFormat.PNG, 960, 540]);
    assert.deepEqual(service().desktop.argsOf("capture").at(-1), [{ region: { x: 0, y: 0, width: 960, height: 540 } }]);
  });

  it("capture_after adds a declared-size screenshot after the action, and waits settle_ms first", async () => {
    const res = await act({
      scaledSize: scaled,
      captureAfter: { format: ImageFormat.WEBP, settleMs: 150 },
      action: { case: "leftClick", value: { coordinate: { x: 1, y: 1 } } },
    });
    const at = (method: string) => service().desktop.calls.find((c) => c.method === method)?.at ?? Number.NaN;
    assert.equal(at("capture") - at("click"), 150, "settle_ms waited, exactly");
    assert.deepEqual([res.screenshot?.format, res.screenshot?.width, res.screenshot?.height], [ImageFormat.WEBP, 1280, 720]);
    assert.deepEqual(
      effects().map((c) => c.method),
      ["click", "capture"],
      "the screenshot comes after the click",
    );
  });

  it("wait sleeps duration_ms, settles (300 ms quiet by default), then returns a PNG screenshot", async () => {
    const started = clock.now();
    const res = await act({ action: { case: "wait", value: { durationMs: 100 } } });
    assert.equal(service().desktop.calls.find((c) => c.method === "capture")?.at, started + 100 + 300);
    assert.equal(res.screenshot?.format, ImageFormat.PNG);
  });

  it("hold_key presses, holds exactly duration_ms, releases; a cancelled call releases at once", async () => {
    await act({ action: { case: "holdKey", value: { text: "a", durationMs: 50 } } });
    assert.deepEqual(effects(), [
      { method: "keyDown", args: [["a"]] },
      { method: "keyUp", args: [["a"]] },
    ]);
    const [down, up] = service().desktop.calls;
    assert.equal(up.at - down.at, 50);
    service().desktop.calls.length = 0;
    const ac = new AbortController();
    const call = service().client.action({ action: { case: "holdKey", value: { text: "b", durationMs: 30_000 } } }, { signal: ac.signal });
    await clock.until(() => service().desktop.methods.includes("keyDown"), 1000);
    await clock.tick(500);
    const cancelledAt = clock.now();
    ac.abort();
    await assert.rejects(call, (e) => ConnectError.from(e).code === Code.Canceled);
    await clock.until(() => service().desktop.methods.includes("keyUp"), 0);
    assert.deepEqual(service().desktop.argsOf("keyUp"), [[["b"]]]);
    assert.equal(service().desktop.calls.find((c) => c.method === "keyUp")?.at, cancelledAt, "released at once");
  });

  it("a deadline during hold_key is DEADLINE_EXCEEDED, and the key is still released", async () => {
    await assert.rejects(
      service().client.action({ action: { case: "holdKey", value: { text: "c", durationMs: 30_000 } } }, { timeoutMs: 100 }),
      (e) => ConnectError.from(e).code === Code.DeadlineExceeded,
    );
    while (!service().desktop.methods.includes("keyUp")) await new Promise((r) => setImmediate(r));
  });

  const bad: [string, Request, string][] = [
    ["no action", {}, "action"],
    ["key without text", { action: { case: "key", value: { text: "" } } }, "key.text"],
    ["unknown key name", { action: { case: "key", value: { text: "ctrl+nosuchkey" } } }, "key.text"],
    ["unknown modifier", { action: { case: "leftClick", value: { modifiers: "hyperdrive" } } }, "left_click.modifiers"],
    ["type without text", { action: { case: "type", value: { text: "" } } }, "type.text"],
    ["type over 64 KiB", { action: { case: "type", value: { text: "a".repeat(64 * 1024 + 1) } } }, "type.text"],
    ["mouse_move without coordinate", { action: { case: "mouseMove", value: {} } }, "mouse_move.coordinate"],
    [
      "drag without start",
      { action: { case: "leftClickDrag", value: { coordinate: { x: 1, y: 1 } } } },
      "left_click_drag.start_coordinate",
    ],
    ["drag without end", { action: { case: "leftClickDrag", value: { startCoordinate: { x: 1, y: 1 } } } }, "left_click_drag.coordinate"],
    ["scroll amount > 100", { action: { case: "scroll", value: { amount: 101 } } }, "scroll.amount"],
    ["negative scroll amount", { action: { case: "scroll", value: { amount: -1 } } }, "scroll.amount"],
    ["unknown scroll direction", { action: { case: "scroll", value: { direction: 9 as ScrollDirection } } }, "scroll.direction"],
    ["negative hold duration", { action: { case: "holdKey", value: { text: "a", durationMs: -5 } } }, "hold_key.duration_ms"],
    ["negative wait", { action: { case: "wait", value: { durationMs: -1 } } }, "wait.duration_ms"],
    ["zero scaled size", { scaledSize: { width: 0, height: 0 }, action: { case: "screenshot", value: {} } }, "scaled_size.width"],
    ["absurd scaled size", { scaledSize: { width: 100000, height: 720 }, action: { case: "screenshot", value: {} } }, "scaled_size.width"],
    ["quality > 100", { action: { case: "screenshot", value: { quality: 101 } } }, "screenshot.quality"],
    ["unknown image format", { action: { case: "screenshot", value: { format: 7 as ImageFormat } } }, "screenshot.format"],
    ["zoom without region", { action: { case: "zoom", value: {} } }, "zoom.region"],
    ["zoom with an empty region", { action: { case: "zoom", value: { region: { x: 0, y: 0, width: 0, height: 5 } } } }, "zoom.region"],
    ["zoom off the screen", { action: { case: "zoom", value: { region: { x: 5000, y: 0, width: 10, height: 10 } } } }, "zoom.region"],
    ["settle too long", { captureAfter: { settleMs: 999999 }, action: { case: "cursorPosition", value: {} } }, "capture_after.settle_ms"],
  ];
  for (const [name, req, field] of bad) {
    it(`INVALID_ARGUMENT naming the field, with no input sent: ${name}`, async () => {
      await assert.rejects(act(req), (e) => {
        const err = ConnectError.from(e);
        assert.equal(err.code, Code.InvalidArgument);
        assert.match(err.rawMessage, new RegExp(`^${field.replace(/\./g, "\\.")}\\b`));
        return true;
      });
      assert.deepEqual(
        effects().filter((c) => c.method !== "capture"),
        [],
        "no input reached the desktop",
      );
    });
  }
});
