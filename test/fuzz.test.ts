/**
 * Property-based Actions against a real desktop (fast-check): random and
 * malformed ActionRequests, two at a time, including the mix that used to
 * abort openbox (`hold_key super` beside `type`). Only OK or INVALID_ARGUMENT
 * may come back; afterwards no key or button is held, a window manager runs,
 * and the desktop still works. FUZZ_RUNS sets the number of pairs.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import fc from "fast-check";
import { ActionRequestSchema, type ScrollDirection } from "../gen/desktop/v1/desktop_pb.js";
import { alive, eventually } from "./helpers/process.js";
import { useTestServer } from "./helpers/server.js";
import { TestWindows } from "./helpers/xwindow.js";

const NATIVE = { width: 800, height: 600 };
const RUNS = Number(process.env.FUZZ_RUNS ?? 120);

const coord = fc.record({ x: fc.integer({ min: -50, max: 900 }), y: fc.integer({ min: -50, max: 700 }) });
const combo = fc.constantFrom(
  "a",
  "Return",
  "ctrl+a",
  "shift+Tab",
  "super",
  "super+a",
  "alt+Tab",
  "F1",
  "Escape",
  "ctrl+shift+x",
  "no_such_key",
  "",
  "ctrl+",
  "+",
);
const mods = fc.constantFrom("", "shift", "ctrl", "super", "alt+shift", "bogus");
const text = fc.string({ unit: "binary", maxLength: 12 });

type ActionInit = NonNullable<MessageInitShape<typeof ActionRequestSchema>["action"]>;

const action: fc.Arbitrary<ActionInit> = fc.oneof(
  coord.map((c) => ({ case: "mouseMove" as const, value: { coordinate: c } })),
  fc.record({ c: coord, m: mods }).map(({ c, m }) => ({ case: "leftClick" as const, value: { coordinate: c, modifiers: m } })),
  fc.record({ c: coord, m: mods }).map(({ c, m }) => ({ case: "doubleClick" as const, value: { coordinate: c, modifiers: m } })),
  fc.record({ c: coord, m: mods }).map(({ c, m }) => ({ case: "rightClick" as const, value: { coordinate: c, modifiers: m } })),
  combo.map((t) => ({ case: "key" as const, value: { text: t } })),
  fc
    .record({ t: combo, d: fc.integer({ min: -10, max: 300 }) })
    .map(({ t, d }) => ({ case: "holdKey" as const, value: { text: t, durationMs: d } })),
  text.map((t) => ({ case: "type" as const, value: { text: t } })),
  fc.record({ c: coord, a: fc.integer({ min: -2, max: 8 }), d: fc.integer({ min: 0, max: 6 }) }).map(({ c, a, d }) => ({
    case: "scroll" as const,
    value: { coordinate: c, amount: a, direction: d as ScrollDirection },
  })),
  fc.record({ a: coord, b: coord }).map(({ a, b }) => ({ case: "leftClickDrag" as const, value: { startCoordinate: a, coordinate: b } })),
  fc.constant({ case: "leftMouseDown" as const, value: {} }),
  fc.constant({ case: "leftMouseUp" as const, value: {} }),
  fc.constant({ case: "cursorPosition" as const, value: {} }),
);

describe(`fuzzed Actions on a real desktop (${RUNS} pairs)`, () => {
  const t = useTestServer({ geometry: NATIVE });
  let w: TestWindows;
  before(async () => {
    const { display, cookie } = t().x11();
    w = await TestWindows.open(display, cookie);
  });
  after(() => w?.close());

  const run = async (a: ActionInit): Promise<string> => {
    try {
      await t().grpc.action(create(ActionRequestSchema, { action: a }));
      return "ok";
    } catch (e) {
      return Code[ConnectError.from(e).code];
    }
  };

  it("only OK or INVALID_ARGUMENT, two at a time; then nothing held, a window manager runs, the desktop works", async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(action, action, async (a, b) => {
        const codes = await Promise.all([run(a), run(b)]);
        for (const c of codes) seen.set(c, (seen.get(c) ?? 0) + 1);
        for (const c of codes) assert.ok(c === "ok" || c === "InvalidArgument", `${c} for ${JSON.stringify([a, b])}`);
      }),
      { numRuns: RUNS },
    );
    // A left_mouse_down may be the last word: release it as a client would.
    await run({ case: "leftMouseUp", value: {} });
    await assertSane(`codes: ${JSON.stringify([...seen])}`);
  });

  it("hold_key super beside type, 9 times (openbox used to abort)", async () => {
    for (let i = 0; i < 9; i++) {
      const codes = await Promise.all([
        run({ case: "holdKey", value: { text: "super", durationMs: 200 } }),
        run({ case: "type", value: { text: "hello world" } }),
      ]);
      assert.deepEqual(codes, ["ok", "ok"]);
    }
    await assertSane("after the super/type mix");
  });

  async function assertSane(context: string) {
    const held = await eventually(async () => {
      const h = await w.held();
      return h.keycodes.length === 0 && h.buttons === 0 ? h : undefined;
    }).catch(async () => w.held());
    assert.deepEqual(held, { keycodes: [], buttons: 0 }, `nothing held (${context})`);
    await eventually(async () => (alive(t().driver().server.windowManagerPid ?? 0) ? true : undefined), 15_000);
    const res = await t().grpc.action(
      create(ActionRequestSchema, { action: { case: "mouseMove", value: { coordinate: { x: 33, y: 44 } } } }),
    );
    assert.deepEqual([res.cursor?.x, res.cursor?.y], [33, 44]);
  }
});
