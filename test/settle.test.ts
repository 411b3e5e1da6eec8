/**
 * Settle on real desktops, on every backend and on both ways of seeing
 * changes (X DAMAGE, compared frames): a still screen settles after quiet_ms
 * and little more; a click that opens a window settles only after its last
 * paint, and the screenshot shows it; a blinking cursor does not keep the
 * screen unsettled.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ImageFormat, ScreenChangeSource } from "../gen/desktop/v1/desktop_pb.js";
import type { SessionDriver } from "../src/desktop/session.js";
import { rgbAt } from "./helpers/pixels.js";
import { eventually } from "./helpers/process.js";
import { type ContractBackend, contractBackends, startPortableServer, type TestServer, useServer } from "./helpers/server.js";
import { TestWindows } from "./helpers/xwindow.js";

const RED = 0xff0000;
const GREEN = 0x00ff00;
const BLUE = 0x0000ff;
const SIZE = { width: 800, height: 600 };

const backends: (ContractBackend & { source: ScreenChangeSource })[] = [
  ...contractBackends().map((b) => ({ ...b, source: ScreenChangeSource.DAMAGE })),
  {
    name: "portabledesktop (stand-in CLI, compared frames)",
    start: (o) => startPortableServer({ ...o, screenChanges: "frames" }),
    source: ScreenChangeSource.FRAMES,
  },
];

for (const backend of backends) {
  describe(`Settle on a real desktop: ${backend.name}`, () => {
    const t = useServer<SessionDriver>(() => backend.start({ geometry: SIZE }));

    it("GetDisplay says how changes are seen", async () => {
      assert.equal((await t().grpc.getDisplay({})).screenChanges, backend.source);
    });

    it("a still screen settles after quiet_ms, and little more", async () => {
      const res = await t().grpc.action({ action: { case: "mouseMove", value: { coordinate: { x: 5, y: 5 } } }, settle: { quietMs: 200 } });
      assert.equal(res.settle?.settled, true);
      const waited = res.settle?.waitedMs ?? 0;
      assert.ok(waited >= 200 && waited < 200 + 150, `waited ${waited} ms`);
    });

    it("a click that opens a window settles after its last paint, and capture_after shows that paint", async () => {
      const { display, cookie } = t().x11();
      const w = await TestWindows.open(display, cookie);
      try {
        await w.window(0, 0, SIZE.width, SIZE.height, 0x202020, { record: true });
        const lastPaint = w.opensOnClick({ x: 300, y: 200, width: 300, height: 200 }, [RED, GREEN, BLUE], { delayMs: 50, stepMs: 60 });
        const res = await t().grpc.action({
          action: { case: "leftClick", value: { coordinate: { x: 100, y: 100 } } },
          settle: { quietMs: 300 },
          captureAfter: { format: ImageFormat.PNG },
        });
        const answered = performance.now();
        assert.equal(res.settle?.settled, true);
        assert.ok(answered - (await lastPaint) >= 300 - 20, `answered ${answered - (await lastPaint)} ms after the last paint`);
        const [r, g, b] = await rgbAt(res.screenshot?.data ?? new Uint8Array(), 450, 300);
        assert.ok(b > 200 && r < 60 && g < 60, `the last paint (blue) is on the screenshot: ${[r, g, b]}`);
      } finally {
        w.close();
      }
    });
  });

  describe(`A blinking cursor still settles: ${backend.name}`, () => {
    if (backend.source === ScreenChangeSource.FRAMES) {
      it("settles while the cursor keeps blinking", { skip: "a 6x13 cursor cell is below a 160-pixel frame's resolution" }, () => {});
      return;
    }
    // A focused xterm whose block cursor blinks every 250 ms.
    const xterm = ["xterm", "-bc", "-bcn", "250", "-bcf", "250", "-geometry", "30x4+0+0"];
    const t = useServer<SessionDriver>(() => backend.start({ geometry: SIZE, open: [xterm] }));

    it("settles while the cursor keeps blinking", async () => {
      await blinking(t());
      const res = await t().grpc.action({
        action: { case: "mouseMove", value: { coordinate: { x: 400, y: 400 } } },
        settle: { quietMs: 300, timeoutMs: 5000 },
      });
      assert.equal(res.settle?.settled, true, `waited ${res.settle?.waitedMs} ms`);
      assert.ok((res.settle?.waitedMs ?? 0) < 3000, `waited ${res.settle?.waitedMs} ms`);
    });
  });
}

/**
 * Focuses the xterm (a click into it) and waits until its cursor cell is seen
 * blinking. The pauses between looks are random: a zoom through the
 * portabledesktop CLI takes ~300 ms, more on a loaded machine, and a fixed
 * pause could make the look period match the 500 ms blink period, so that
 * every look sees the same phase.
 */
async function blinking(t: TestServer<SessionDriver>): Promise<void> {
  const cell = { x: 0, y: 0, width: 200, height: 60 };
  await eventually(async () => {
    await t.grpc.action({ action: { case: "leftClick", value: { coordinate: { x: 50, y: 20 } } } });
    const shots = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const z = await t.grpc.action({ action: { case: "zoom", value: { region: cell } } });
      shots.add(Buffer.from(z.screenshot?.data ?? []).toString("base64"));
      await new Promise((r) => setTimeout(r, Math.random() * 250));
    }
    return shots.size > 1 ? true : undefined;
  }, 15_000);
}
