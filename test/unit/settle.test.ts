/**
 * Settle and input order through the Action RPC, in memory and in virtual
 * time (test/helpers/clock.ts): the FakeDesktop's change log plays an
 * application redrawing. A settle waits for exactly the quiet period after
 * the last change and reports how it went; capture_after and `wait` come
 * after it; bad values name their field; switching between pointer and
 * keyboard input waits for the application's redraw, and nothing else waits.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { ScreenChangeSource } from "../../gen/desktop/v1/desktop_pb.js";
import { INPUT_ORDER_DEFAULTS } from "../../src/desktop/input-order.js";
import { FakeClock, pending } from "../helpers/clock.js";
import { useInMemory } from "../helpers/in-memory.js";

const move = { case: "mouseMove", value: { coordinate: { x: 5, y: 5 } } } as const;
const box = { x: 10, y: 10, width: 50, height: 20 };

/** `call`, with virtual time moving 1 ms at a time until it ends (at most `maxMs`). */
async function ticking<T>(clock: FakeClock, call: Promise<T>, maxMs = 10_000): Promise<T> {
  let done = false;
  const settled = call.finally(() => {
    done = true;
  });
  settled.catch(() => undefined);
  await clock.until(() => done, maxMs);
  return settled;
}

describe("Settle, in memory", () => {
  const clock = new FakeClock();
  const service = useInMemory(undefined, { clock });

  it("waits exactly quiet_ms after the action and says so; GetDisplay names the source", async () => {
    const call = service().client.action({ action: move, settle: { quietMs: 80 } });
    await clock.tick(79);
    assert.equal(await pending(call), "pending");
    await clock.tick(1);
    const res = await call;
    assert.deepEqual([res.settle?.settled, res.settle?.waitedMs, res.settle?.source], [true, 80, ScreenChangeSource.DAMAGE]);
    assert.equal((await service().client.getDisplay({})).screenChanges, ScreenChangeSource.DAMAGE);
    assert.equal((await service().client.action({ action: move })).settle, undefined, "no settle unless asked");
  });

  it("a redraw during the wait restarts the quiet period; the screenshot of capture_after comes after it", async () => {
    const d = service().desktop;
    d.calls.length = 0;
    const call = service().client.action({ action: move, settle: { quietMs: 100 }, captureAfter: {} });
    await clock.tick(60);
    d.changes.record(box, clock.now());
    const res = await ticking(clock, call);
    assert.equal(res.settle?.waitedMs, 160, "60 to the redraw, then 100 quiet");
    assert.ok(res.screenshot, "capture_after's screenshot");
    assert.deepEqual(
      d.calls.filter((c) => c.method === "move" || c.method === "capture").map((c) => [c.method, c.at - d.calls[0].at]),
      [
        ["move", 0],
        ["capture", 160],
      ],
    );
  });

  it("a screen that keeps changing is not settled after timeout_ms: settled false at exactly the limit, no error", async () => {
    const d = service().desktop;
    const call = service().client.action({ action: move, settle: { quietMs: 100, timeoutMs: 250 } });
    let done = false;
    void call.finally(() => (done = true));
    for (let i = 0; !done && i < 100; i++) {
      await clock.tick(20);
      d.changes.record({ ...box, x: (i % 50) * 10 }, clock.now());
    }
    const res = await call;
    assert.deepEqual([res.settle?.settled, res.settle?.waitedMs], [false, 250]);
  });

  it("wait sleeps, settles with the defaults (300 ms quiet), then takes the screenshot", async () => {
    const res = await ticking(clock, service().client.action({ action: { case: "wait", value: { durationMs: 50 } } }));
    assert.deepEqual([res.settle?.settled, res.settle?.waitedMs], [true, 300]);
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
  const clock = new FakeClock();
  const service = useInMemory(undefined, { inputOrder: INPUT_ORDER_DEFAULTS, clock });
  const click = { case: "leftClick", value: { coordinate: { x: 5, y: 5 } } } as const;
  const type = { case: "type", value: { text: "x" } } as const;

  /** Time from the call to the `type` reaching the desktop, virtual ms; `redraw` plays the app's reaction that many ms in. */
  async function typeDelay(redrawAfterMs?: number): Promise<number> {
    const d = service().desktop;
    const started = clock.now();
    const from = d.calls.length;
    const call = service().client.action({ action: type });
    if (redrawAfterMs !== undefined) {
      await clock.tick(redrawAfterMs);
      d.changes.record(box, clock.now());
    }
    await ticking(clock, call);
    const typed = d.calls.slice(from).find((c) => c.method === "type");
    assert.ok(typed, "the text was typed");
    return typed.at - started;
  }

  it("keys after a click wait for the application's redraw, then its quiet period: exactly", async () => {
    await service().client.action({ action: click });
    assert.equal(await typeDelay(50), 50 + INPUT_ORDER_DEFAULTS.quietMs);
  });

  it("with no redraw at all, keys after a click wait noReactionMs, no more", async () => {
    await clock.tick(INPUT_ORDER_DEFAULTS.maxMs);
    await service().client.action({ action: click });
    assert.equal(await typeDelay(), INPUT_ORDER_DEFAULTS.noReactionMs);
  });

  it("after a slow reaction (300 ms), a switch with no redraw waits 2.5 times as long, at most maxMs", async () => {
    await clock.tick(INPUT_ORDER_DEFAULTS.maxMs);
    await service().client.action({ action: click });
    await typeDelay(300);
    await clock.tick(300);
    await service().client.action({ action: click });
    assert.equal(await typeDelay(), 2.5 * 300);
  });

  it("input of the same kind does not wait, nor does input long after the previous", async () => {
    await service().client.action({ action: type });
    assert.equal(await typeDelay(), 0, "keys after keys");
    await ticking(clock, service().client.action({ action: click }));
    await clock.tick(INPUT_ORDER_DEFAULTS.maxMs);
    assert.equal(await typeDelay(), 0, "keys a second after a click");
  });
});
