/**
 * Settle and input order through the Action RPC, in memory: the FakeDesktop's
 * change log plays an application redrawing. A settle waits for the quiet
 * period after the last change and reports how it went; capture_after and
 * `wait` come after it; bad values name their field; switching between
 * pointer and keyboard input waits for the application's redraw, and
 * nothing else waits.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { ScreenChangeSource } from "../../gen/desktop/v1/desktop_pb.js";
import { INPUT_ORDER_DEFAULTS } from "../../src/server/rpc/input-order.js";
import { useInMemory } from "../helpers/in-memory.js";

const move = { case: "mouseMove", value: { coordinate: { x: 5, y: 5 } } } as const;
const box = { x: 10, y: 10, width: 50, height: 20 };

describe("Settle, in memory", () => {
  const service = useInMemory();

  it("waits quiet_ms after the action and says so; GetDisplay names the source", async () => {
    const res = await service().client.action({ action: move, settle: { quietMs: 80 } });
    assert.equal(res.settle?.settled, true);
    assert.ok((res.settle?.waitedMs ?? 0) >= 80 && (res.settle?.waitedMs ?? 0) < 200, `waited ${res.settle?.waitedMs}`);
    assert.equal(res.settle?.source, ScreenChangeSource.DAMAGE);
    assert.equal((await service().client.getDisplay({})).screenChanges, ScreenChangeSource.DAMAGE);
    assert.equal((await service().client.action({ action: move })).settle, undefined, "no settle unless asked");
  });

  it("a redraw during the wait restarts the quiet period; the screenshot of capture_after comes after it", async () => {
    const d = service().desktop;
    setTimeout(() => d.changes.record(box, performance.now()), 60);
    d.calls.length = 0;
    const started = performance.now();
    const res = await service().client.action({ action: move, settle: { quietMs: 100 }, captureAfter: {} });
    assert.ok((res.settle?.waitedMs ?? 0) >= 155, `waited ${res.settle?.waitedMs} ms: 60 to the redraw, then 100 quiet`);
    assert.ok(res.screenshot, "capture_after's screenshot");
    assert.ok(performance.now() - started >= 155);
    assert.deepEqual(
      d.methods.filter((m) => m === "move" || m === "capture"),
      ["move", "capture"],
    );
  });

  it("a screen that keeps changing is not settled after timeout_ms: settled false, no error", async () => {
    const d = service().desktop;
    let i = 0;
    const busy = setInterval(() => d.changes.record({ ...box, x: (i++ % 50) * 10 }, performance.now()), 20);
    try {
      const res = await service().client.action({ action: move, settle: { quietMs: 100, timeoutMs: 250 } });
      assert.equal(res.settle?.settled, false);
      assert.ok((res.settle?.waitedMs ?? 0) >= 250 && (res.settle?.waitedMs ?? 0) < 400, `gave up after ${res.settle?.waitedMs}`);
    } finally {
      clearInterval(busy);
    }
  });

  it("wait sleeps, settles with the defaults (300 ms quiet), then takes the screenshot", async () => {
    const res = await service().client.action({ action: { case: "wait", value: { durationMs: 50 } } });
    assert.equal(res.settle?.settled, true);
    assert.ok((res.settle?.waitedMs ?? 0) >= 300);
    assert.ok(res.screenshot);
  });

  for (const [settle, field] of [
    [{ quietMs: 10_001 }, "settle.quiet_ms"],
    [{ quietMs: -1 }, "settle.quiet_ms"],
    [{ timeoutMs: 60_001 }, "settle.timeout_ms"],
  ] as const) {
    it(`INVALID_ARGUMENT naming ${field}: ${JSON.stringify(settle)}`, async () => {
      await assert.rejects(service().client.action({ action: move, settle }), (e) => {
        const err = ConnectError.from(e);
        return err.code === Code.InvalidArgument && err.rawMessage.startsWith(field);
      });
    });
  }
});

describe("Input order, in memory", () => {
  const service = useInMemory(undefined, { inputOrder: INPUT_ORDER_DEFAULTS });
  const click = { case: "leftClick", value: { coordinate: { x: 5, y: 5 } } } as const;
  const type = { case: "type", value: { text: "x" } } as const;
  /** Time from the start of the call to the `type` reaching the desktop, ms. */
  async function typeDelay(): Promise<number> {
    const d = service().desktop;
    const started = performance.now();
    let reached = 0;
    const calls = d.calls.length;
    const watch = setInterval(() => {
      if (!reached && d.calls.slice(calls).some((c) => c.method === "type")) reached = performance.now();
    }, 1);
    await service().client.action({ action: type });
    clearInterval(watch);
    return (reached || performance.now()) - started;
  }

  it("keys after a click wait for the application's redraw, then its quiet period", async () => {
    await service().client.action({ action: click });
    const d = service().desktop;
    setTimeout(() => d.changes.record(box, performance.now()), 50);
    const delay = await typeDelay();
    assert.ok(delay >= 50 + INPUT_ORDER_DEFAULTS.quietMs - 10, `typed after ${delay} ms`);
    assert.ok(delay < 50 + INPUT_ORDER_DEFAULTS.quietMs + 100, `typed after ${delay} ms`);
  });

  it("with no redraw at all, keys after a click wait noReactionMs, no more", async () => {
    await service().client.action({ action: click });
    const delay = await typeDelay();
    assert.ok(
      delay >= INPUT_ORDER_DEFAULTS.noReactionMs - 10 && delay < INPUT_ORDER_DEFAULTS.noReactionMs + 100,
      `typed after ${delay} ms`,
    );
  });

  it("after a slow reaction (300 ms), a switch with no redraw waits 2.5 times as long, at most maxMs", async () => {
    const d = service().desktop;
    await service().client.action({ action: click });
    setTimeout(() => d.changes.record(box, performance.now()), 300);
    await typeDelay();
    await new Promise((r) => setTimeout(r, 300));
    await service().client.action({ action: click });
    const delay = await typeDelay();
    assert.ok(delay >= 2.5 * 300 - 10 && delay < INPUT_ORDER_DEFAULTS.maxMs + 100, `typed after ${delay} ms`);
  });

  it("input of the same kind does not wait, nor does input long after the previous", async () => {
    await service().client.action({ action: type });
    assert.ok((await typeDelay()) < 50, "keys after keys");
    await service().client.action({ action: click });
    await new Promise((r) => setTimeout(r, INPUT_ORDER_DEFAULTS.maxMs));
    assert.ok((await typeDelay()) < 50, "keys a second after a click");
  });
});
