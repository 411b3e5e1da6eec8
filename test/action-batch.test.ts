/**
 * ActionBatch on a real desktop, every backend: a batch's actions arrive at
 * the X server in order and in native pixels (a test window records the
 * events), with their results, phases and one screenshot after the last;
 * a batch with a bad action is refused whole, and the X server sees none of
 * it, not even the good actions before the bad one; an action naming a
 * frame from before a Reset is refused and nothing moves. (Stopping at an action
 * that fails while running is specified in memory, where failures can be
 * injected: test/unit/action-batch.test.ts.)
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { BatchedActionStatus, ImageFormat } from "../gen/desktop/v1/desktop_pb.js";
import type { DesktopClient } from "../src/client/client.js";
import { contractBackends, useServer } from "./helpers/server.js";
import { type RecordedEvent, useRecordingScreen } from "./helpers/xwindow.js";

const scaled = { width: 1280, height: 720 };
const presses = (evs: RecordedEvent[], type: RecordedEvent["type"] = "ButtonPress") => evs.filter((e) => e.type === type);
const click = (x: number, y: number) => ({ action: { case: "leftClick" as const, value: { coordinate: { x, y } } } });

for (const backend of contractBackends())
  describe(`ActionBatch on a real desktop: ${backend.name}`, () => {
    const t = useServer(() => backend.start());
    const w = useRecordingScreen(() => t().x11());
    let client: DesktopClient;

    before(async () => {
      client = t().grpc;
    });

    it("runs the actions in order at native pixels, reports each, and ends with one declared-size screenshot", async () => {
      const res = await client.actionBatch({
        scaledSize: scaled,
        actions: [click(100, 200), { action: { case: "key", value: { text: "a b" } } }, click(640, 360)],
        captureAfter: { format: ImageFormat.PNG },
      });
      assert.deepEqual(
        res.results.map((r) => [r.status, r.output]),
        [
          [BatchedActionStatus.DONE, "left_click action performed"],
          [BatchedActionStatus.DONE, "key action performed"],
          [BatchedActionStatus.DONE, "left_click action performed"],
        ],
      );
      const evs = await w().waitFor((e) => presses(e, "ButtonRelease").length === 2 && presses(e, "KeyRelease").length === 2);
      const order = evs.filter((e) => e.type === "ButtonPress" || e.type === "KeyPress").map((e) => [e.type, e.rootX, e.rootY]);
      assert.deepEqual(
        order.map(([type]) => type),
        ["ButtonPress", "KeyPress", "KeyPress", "ButtonPress"],
      );
      assert.deepEqual(
        presses(evs).map((e) => [e.rootX, e.rootY]),
        [
          [150, 300],
          [960, 540],
        ],
      );
      assert.deepEqual([res.cursor?.x, res.cursor?.y], [640, 360]);
      assert.deepEqual([res.screenshot?.width, res.screenshot?.height], [1280, 720]);
      assert.ok(
        res.phases && res.phases.inputUs > 0n && res.phases.captureUs > 0n && res.phases.encodeUs > 0n,
        JSON.stringify(res.phases, (_, v) => (typeof v === "bigint" ? Number(v) : v)),
      );
    });

    it("a stale frame id is refused and nothing moves; a fresh one maps its own declared space", async () => {
      const shot = await client.action({ scaledSize: scaled, action: { case: "screenshot", value: {} } });
      const frame = shot.screenshot?.frame;
      assert.deepEqual([frame?.declaredSize?.width, frame?.nativeSize?.width], [1280, 1920]);
      await client.actionBatch({ frameId: frame?.id, actions: [click(320, 180)] });
      let evs = await w().waitFor((e) => presses(e, "ButtonRelease").length === 1);
      assert.deepEqual(
        presses(evs).map((e) => [e.rootX, e.rootY]),
        [[480, 270]],
      );
      await client.reset({});
      await w.reopen();
      for (const call of [
        () => client.action({ frameId: frame?.id, action: click(700, 500).action }),
        () => client.actionBatch({ frameId: frame?.id, actions: [click(700, 500)] }),
      ]) {
        await assert.rejects(call(), (e) => ConnectError.from(e).code === Code.FailedPrecondition && /since frame/.test(String(e)));
      }
      await client.action({ action: click(2, 2).action });
      evs = await w().waitFor((e) => presses(e, "ButtonRelease").length === 1);
      assert.deepEqual(
        presses(evs).map((e) => [e.rootX, e.rootY]),
        [[2, 2]],
        "only the click after the refused ones arrived",
      );
    });

    it("a batch with a bad action is refused whole: the X server sees none of it", async () => {
      await assert.rejects(
        client.actionBatch({ scaledSize: scaled, actions: [click(10, 10), click(10, 11), click(1280, 5)] }),
        (e) =>
          ConnectError.from(e).code === Code.InvalidArgument &&
          /^actions\[2\]\.left_click\.coordinate/.test(ConnectError.from(e).rawMessage),
      );
      // A click after it: once it arrives, anything the refused batch had sent would have arrived before it.
      await client.actionBatch({ actions: [click(1, 1)] });
      const evs = await w().waitFor((e) => presses(e, "ButtonRelease").length === 1);
      assert.deepEqual(
        presses(evs).map((e) => [e.rootX, e.rootY]),
        [[1, 1]],
      );
    });
  });
