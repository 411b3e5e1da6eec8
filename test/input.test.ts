/**
 * The Desktop contract, through the service: every input action has its
 * observable effect on a real Xvnc desktop (a test window records the events
 * the X server delivers to it), on every backend: built-in, PortableDesktop
 * through the stand-in CLI, and a real portabledesktop when one is on PATH.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { ImageFormat, ScrollDirection } from "../gen/desktop/v1/desktop_pb.js";
import type { DesktopClient } from "../src/client/client.js";
import { rgbAt } from "./helpers/pixels.js";
import { eventually } from "./helpers/process.js";
import { contractBackends, useServer } from "./helpers/server.js";
import { CONTROL_MASK, type RecordedEvent, SHIFT_MASK, useRecordingScreen } from "./helpers/xwindow.js";

const scaled = { width: 1280, height: 720 };
const presses = (evs: RecordedEvent[], type: RecordedEvent["type"] = "ButtonPress") => evs.filter((e) => e.type === type);
const allReleased = (evs: RecordedEvent[]) => presses(evs, "KeyPress").length === presses(evs, "KeyRelease").length;

for (const backend of contractBackends())
  describe(`Action input on a real desktop: ${backend.name}`, () => {
    const t = useServer(() => backend.start());
    const w = useRecordingScreen(() => t().x11());
    let client: DesktopClient;

    before(async () => {
      client = t().grpc;
    });

    it("left_click at declared (640,360) on 1280x720 arrives at native (960,540)", async () => {
      const res = await client.action({ scaledSize: scaled, action: { case: "leftClick", value: { coordinate: { x: 640, y: 360 } } } });
      assert.equal(res.output, "left_click action performed");
      assert.deepEqual({ x: res.cursor?.x, y: res.cursor?.y }, { x: 640, y: 360 });
      const evs = await w().waitFor((e) => presses(e, "ButtonRelease").length === 1);
      const [press] = presses(evs);
      assert.deepEqual([press.detail, press.rootX, press.rootY], [1, 960, 540]);
    });

    it("right, middle, double and triple clicks send the right buttons and counts", async () => {
      const cases = [
        ["rightClick", 3, 1],
        ["middleClick", 2, 1],
        ["doubleClick", 1, 2],
        ["tripleClick", 1, 3],
      ] as const;
      for (const [kase, button, count] of cases) {
        w().clear();
        await client.action({ action: { case: kase, value: { coordinate: { x: 100, y: 200 } } } });
        const evs = await w().waitFor((e) => presses(e, "ButtonRelease").length === count);
        assert.deepEqual(
          presses(evs).map((e) => [e.detail, e.rootX, e.rootY]),
          Array(count).fill([button, 100, 200]),
          kase,
        );
      }
    });

    it("a click without a coordinate happens where the pointer is, with modifiers held", async () => {
      await client.action({ action: { case: "mouseMove", value: { coordinate: { x: 300, y: 301 } } } });
      await client.action({ action: { case: "leftClick", value: { modifiers: "shift+ctrl" } } });
      const evs = await w().waitFor((e) => presses(e, "ButtonRelease").length === 1 && presses(e, "KeyRelease").length === 2);
      const [press] = presses(evs);
      assert.deepEqual([press.rootX, press.rootY], [300, 301]);
      assert.equal(press.state & (SHIFT_MASK | CONTROL_MASK), SHIFT_MASK | CONTROL_MASK);
    });

    it("scroll up 5 arrives as five button-4 presses at the mapped point", async () => {
      await client.action({
        scaledSize: scaled,
        action: { case: "scroll", value: { coordinate: { x: 100, y: 100 }, direction: ScrollDirection.UP, amount: 5 } },
      });
      const evs = await w().waitFor((e) => presses(e, "ButtonRelease").length === 5);
      assert.deepEqual(
        presses(evs).map((e) => [e.detail, e.rootX, e.rootY]),
        Array(5).fill([4, 150, 150]),
      );
    });

    it("scroll defaults to 3 notches down; left and right use buttons 6 and 7", async () => {
      await client.action({ action: { case: "scroll", value: { coordinate: { x: 10, y: 10 } } } });
      await client.action({ action: { case: "scroll", value: { direction: ScrollDirection.LEFT, amount: 1 } } });
      await client.action({ action: { case: "scroll", value: { direction: ScrollDirection.RIGHT, amount: 2 } } });
      const evs = await w().waitFor((e) => presses(e, "ButtonRelease").length === 6);
      assert.deepEqual(
        presses(evs).map((e) => e.detail),
        [5, 5, 5, 6, 7, 7],
      );
    });

    it("left_click_drag presses at the start and releases at the end", async () => {
      await client.action({
        scaledSize: scaled,
        action: { case: "leftClickDrag", value: { startCoordinate: { x: 10, y: 20 }, coordinate: { x: 400, y: 300 } } },
      });
      const evs = await w().waitFor((e) => presses(e, "ButtonRelease").length === 1);
      const down = presses(evs)[0];
      const up = presses(evs, "ButtonRelease")[0];
      assert.deepEqual([down.detail, down.rootX, down.rootY], [1, 15, 30]);
      assert.deepEqual([up.detail, up.rootX, up.rootY], [1, 600, 450]);
    });

    it("left_mouse_down and left_mouse_up hold and release the button", async () => {
      await client.action({ action: { case: "leftMouseDown", value: {} } });
      await client.action({ action: { case: "mouseMove", value: { coordinate: { x: 50, y: 60 } } } });
      await client.action({ action: { case: "leftMouseUp", value: {} } });
      const evs = await w().waitFor((e) => presses(e, "ButtonRelease").length === 1);
      assert.equal(presses(evs).length, 1);
      assert.deepEqual([presses(evs, "ButtonRelease")[0].rootX, presses(evs, "ButtonRelease")[0].rootY], [50, 60]);
    });

    it('key "ctrl+shift+t" arrives with both modifiers held', async () => {
      await client.action({ action: { case: "key", value: { text: "ctrl+shift+t" } } });
      const evs = await w().waitFor((e) => presses(e, "KeyRelease").length === 3);
      const keys = presses(evs, "KeyPress");
      const last = keys[keys.length - 1];
      assert.equal(await w().keysym({ ...last, state: 0 }), 0x74 /* t */);
      assert.equal(last.state & (SHIFT_MASK | CONTROL_MASK), SHIFT_MASK | CONTROL_MASK);
    });

    it('key "CTRL+L" means ctrl+l, and keysym names work', async () => {
      await client.action({ action: { case: "key", value: { text: "CTRL+L" } } });
      await client.action({ action: { case: "key", value: { text: "semicolon" } } });
      const evs = await w().waitFor((e) => presses(e, "KeyRelease").length === 3);
      const keys = presses(evs, "KeyPress");
      assert.equal(await w().keysym({ ...keys[1], state: 0 }), 0x6c /* l */);
      assert.equal(keys[1].state & CONTROL_MASK, CONTROL_MASK);
      assert.equal(await w().keysym(keys[2]), 0x3b /* semicolon */);
    });

    /** The characters the recorded key presses produce (modifier keys left out). */
    async function typedText(): Promise<string> {
      const typed: string[] = [];
      for (const e of presses(w().events, "KeyPress")) {
        const ks = await w().keysym(e);
        if (ks >= 0xffe1 && ks <= 0xffee) continue; // modifier keys
        typed.push(String.fromCodePoint(ks >= 0x01000000 ? ks - 0x01000000 : ks));
      }
      return typed.join("");
    }

    it('type "-AbC, x=1!" arrives as exactly those characters (a leading "-" is text, not a flag)', async () => {
      const text = "-AbC, x=1!";
      await client.action({ action: { case: "type", value: { text } } });
      // At least one release per character (Shift adds more for capitals), and every press released.
      await w().waitFor((e) => presses(e, "KeyRelease").length >= text.length && allReleased(e));
      assert.equal(await typedText(), text);
      assert.equal(presses(w().events, "KeyPress").length, presses(w().events, "KeyRelease").length, "every key pressed was released");
    });

    it('type "héllo ✓ 日本" arrives as exactly those characters', {
      skip: backend.name !== "builtin" && "xdotool restores its scratch keycode right after each key, so its keysym cannot be read back",
    }, async () => {
      const text = "héllo ✓ 日本 AbC!";
      await client.action({ action: { case: "type", value: { text } } });
      await w().waitFor((e) => presses(e, "KeyRelease").length >= [...text].length && allReleased(e));
      assert.equal(await typedText(), text);
      assert.equal(presses(w().events, "KeyPress").length, presses(w().events, "KeyRelease").length, "every key pressed was released");
    });

    it("key_down holds a key until key_up", async () => {
      await client.action({ action: { case: "keyDown", value: { text: "shift" } } });
      await client.action({ action: { case: "leftClick", value: {} } });
      await client.action({ action: { case: "keyUp", value: { text: "shift" } } });
      const evs = await w().waitFor((e) => presses(e, "KeyRelease").length === 1);
      assert.equal(presses(evs)[0].state & SHIFT_MASK, SHIFT_MASK);
    });

    it("hold_key holds for duration_ms, and releases at once when the call is cancelled", async () => {
      // A key held past the X server's autorepeat delay (660 ms by default) repeats as
      // release/press pairs, and the stand-in CLI (a process per command) can hold that
      // long on a loaded machine: a hold runs from the first press to the last release.
      const released = (e: RecordedEvent[]) => presses(e, "KeyRelease").length >= 1 && allReleased(e);
      await client.action({ action: { case: "holdKey", value: { text: "a", durationMs: 300 } } });
      let evs = await w().waitFor(released);
      const held = presses(evs, "KeyRelease").at(-1)!.at - presses(evs, "KeyPress")[0].at;
      assert.ok(held >= 250, `held ${held} ms`);
      assert.deepEqual((await w().held()).keycodes, [], "no key left down");

      w().clear();
      const ac = new AbortController();
      const call = client.action({ action: { case: "holdKey", value: { text: "b", durationMs: 30_000 } } }, { signal: ac.signal });
      await w().waitFor((e) => presses(e, "KeyPress").length >= 1);
      const cancelledAt = Date.now();
      ac.abort();
      await assert.rejects(call);
      // At once: within one command of the backend (the stand-in CLI is a Python process).
      evs = await w().waitFor(released, 3000);
      assert.ok(presses(evs, "KeyRelease").at(-1)!.at - cancelledAt < 2000);
      assert.deepEqual((await w().held()).keycodes, [], "no key left down");
    });

    it("a screenshot shows a window of known colour at the right native and scaled pixels", async () => {
      const wid = await w().window(600, 300, 200, 100, 0xff0000);
      try {
        const native = await client.action({ action: { case: "screenshot", value: { format: ImageFormat.PNG } } });
        assert.deepEqual([native.screenshot?.width, native.screenshot?.height], [1920, 1080]);
        assert.deepEqual(await rgbAt(native.screenshot!.data, 700, 350), [255, 0, 0]);
        const scaledShot = await client.action({ scaledSize: scaled, action: { case: "screenshot", value: { format: ImageFormat.PNG } } });
        assert.deepEqual([scaledShot.screenshot?.width, scaledShot.screenshot?.height], [1280, 720]);
        assert.deepEqual(await rgbAt(scaledShot.screenshot!.data, 466, 233), [255, 0, 0]); // native (700,350)
      } finally {
        w().destroy(wid);
      }
    });

    it("cursor_position reports the pointer in declared space", async () => {
      await client.action({ action: { case: "mouseMove", value: { coordinate: { x: 1280, y: 603 } } } });
      const res = await client.action({ scaledSize: scaled, action: { case: "cursorPosition", value: {} } });
      assert.equal(res.output, "x=853,y=402");
      assert.deepEqual([res.cursor?.x, res.cursor?.y], [853, 402]);
    });

    it("the Connect protocol over HTTP/1.1 drives the same desktop", async () => {
      const res = await t().connect.action({ action: { case: "mouseMove", value: { coordinate: { x: 77, y: 88 } } } });
      assert.deepEqual([res.cursor?.x, res.cursor?.y], [77, 88]);
      const evs = await w().waitFor((e) => e.some((m) => m.type === "MotionNotify" && m.rootX === 77 && m.rootY === 88));
      assert.ok(evs.length > 0);
    });

    // Unicode beyond the keymap is exact on the built-in backend (it holds its
    // remapped keycodes until the app has read them); xdotool restores its
    // scratch keycode right after each key, so apps may drop such characters.
    const proof = backend.name === "builtin" ? "typed: héllo ✓ 日本" : "typed: hello -x";
    it(`with --open xterm, typing a shell command ("${proof}") and Return creates the file`, async () => {
      const dir = await mkdtemp(join(tmpdir(), "desktopd-xterm-"));
      const x = await backend.start({ open: [["xterm", "-geometry", "80x24+0+0"]] });
      try {
        const file = join(dir, "proof.txt");
        // The xterm needs a moment to map; clicking into it gives it focus.
        const content = await eventually(async () => {
          await x.grpc.action({ action: { case: "leftClick", value: { coordinate: { x: 150, y: 120 } } } });
          await x.grpc.action({ action: { case: "type", value: { text: `echo '${proof}' > ${file}` } } });
          await x.grpc.action({ action: { case: "key", value: { text: "Return" } } });
          return eventually(() => readFile(file, "utf8"), 1500);
        }, 15000);
        assert.equal(content, `${proof}\n`);
      } finally {
        await x.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
