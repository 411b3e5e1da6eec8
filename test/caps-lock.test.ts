/**
 * `type` types what was asked whatever the lock state: with Caps Lock on, an
 * app still gets "abC" (it got "ABC" before), and Caps Lock is on again
 * afterwards. Both backends, into a real xterm writing a file.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { LOCK_MASK } from "../src/desktop/keys.js";
import type { SessionDriver } from "../src/desktop/session.js";
import { X11Connection } from "../src/desktop/x11/connection.js";
import { eventually } from "./helpers/process.js";
import { startPortableServer, startTestServer, type TestServer, useServer } from "./helpers/server.js";

const NATIVE = { width: 800, height: 600 };

const backends = [
  { name: "builtin", start: () => startTestServer({ geometry: NATIVE }) },
  { name: "portabledesktop (stand-in CLI)", start: () => startPortableServer({ geometry: NATIVE }) },
];

for (const backend of backends) {
  describe(`typing with Caps Lock on: ${backend.name}`, () => {
    const t = useServer(backend.start as () => Promise<TestServer<SessionDriver>>);

    it('type "abC xY 1!" arrives as typed, and Caps Lock is still on after', async () => {
      const dir = await mkdtemp(join(tmpdir(), "desktopd-caps-"));
      const x = await X11Connection.connect(t().x11().display, t().x11().cookie);
      const capsOn = async () => ((await x.pointer()).buttonMask & LOCK_MASK) !== 0;
      const toggleCaps = async () => {
        await t().grpc.action({ action: { case: "keyDown", value: { text: "Caps_Lock" } } });
        await t().grpc.action({ action: { case: "keyUp", value: { text: "Caps_Lock" } } });
      };
      try {
        const file = join(dir, "typed.txt");
        const title = `caps-${randomUUID().slice(0, 8)}`;
        await t().grpc.launchApplication({ argv: ["xterm", "-title", title, "-geometry", "60x5+0+0", "-e", "sh", "-c", `cat > ${file}`] });
        const win = await eventually(
          async () => (await t().grpc.listWindows({})).windows.find((w) => w.title === title && w.focused),
          15_000,
        );
        assert.ok(win);
        await toggleCaps();
        assert.equal(await capsOn(), true, "Caps Lock is on");
        await t().grpc.action({ action: { case: "type", value: { text: "abC xY 1!" } } });
        assert.equal(await capsOn(), true, "Caps Lock is on again after typing");
        await t().grpc.action({ action: { case: "key", value: { text: "Return" } } });
        assert.equal(await eventually(async () => (await readFile(file, "utf8")) || undefined, 10_000), "abC xY 1!\n");
      } finally {
        if (await capsOn().catch(() => false)) await toggleCaps();
        x.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
