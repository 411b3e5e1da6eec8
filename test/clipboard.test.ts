/**
 * The clipboard on a real desktop, both backends: text set through the API
 * is what another X client and a real app (xterm) get; text a real app
 * selects is what the API reads; 1 MiB of multilingual text crosses the X
 * server both ways (INCR); over 1 MiB is INVALID_ARGUMENT.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { Selection } from "../gen/desktop/v1/desktop_pb.js";
import type { SessionDriver } from "../src/desktop/session.js";
import { Clipboard } from "../src/desktop/x11/clipboard.js";
import { eventually } from "./helpers/process.js";
import { startPortableServer, startTestServer, type TestServer, useServer } from "./helpers/server.js";

const NATIVE = { width: 1024, height: 768 };
const code = (e: unknown) => Code[ConnectError.from(e).code];

/** `bytes` (UTF-8) of lines mixing scripts: ASCII, Latin-1, Greek, CJK, Hangul, emoji, Hebrew. */
function multilingual(bytes: number): string {
  const words = ["hello", "héllo", "καλημέρα", "日本語", "한국어", "😀✓", "עברית", "naïve"];
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes - 64; i++) {
    const w = `${words[i % words.length]}${i % 7 === 6 ? "\n" : " "}`;
    parts.push(w);
    size += Buffer.byteLength(w);
  }
  parts.push("x".repeat(bytes - size));
  return parts.join("");
}

const backends = [
  { name: "builtin", start: () => startTestServer({ geometry: NATIVE }) },
  { name: "portabledesktop (stand-in CLI)", start: () => startPortableServer({ geometry: NATIVE }) },
];

for (const backend of backends) {
  describe(`clipboard: ${backend.name}`, () => {
    const t = useServer(backend.start as () => Promise<TestServer<SessionDriver>>);
    let other: Clipboard;
    let dir: string;
    before(async () => {
      const { display, cookie } = t().x11();
      other = await Clipboard.connect(display, cookie);
      dir = await mkdtemp(join(tmpdir(), "desktopd-clip-"));
    });
    after(async () => {
      other?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it("1 MiB of multilingual text set through the API is what another X client reads, and the reverse", async () => {
      const text = multilingual(1024 * 1024);
      await t().grpc.setClipboard({ text });
      assert.equal(await other.get("CLIPBOARD"), text);
      const back = `${text.slice(0, -8)}reversed`;
      await other.set(back, "CLIPBOARD");
      assert.equal((await t().grpc.getClipboard({})).text, back);
    });

    it("xterm pastes the PRIMARY text set through the API (middle click, into `cat` writing a file)", async () => {
      const file = join(dir, `pasted-${randomUUID().slice(0, 8)}`);
      const title = `paste-${randomUUID().slice(0, 8)}`;
      await t().grpc.launchApplication({ argv: ["xterm", "-title", title, "-geometry", "60x5+0+0", "-e", "sh", "-c", `cat > ${file}`] });
      const win = await eventually(async () => (await t().grpc.listWindows({})).windows.find((w) => w.title === title), 15_000);
      const g = win.geometry!;
      await t().grpc.setClipboard({ text: "pasted: ünïcode ✓ 日本\n", selection: Selection.PRIMARY });
      await t().grpc.action({ action: { case: "middleClick", value: { coordinate: { x: g.x + 40, y: g.y + 20 } } } });
      assert.equal(await eventually(async () => (await readFile(file, "utf8")) || undefined, 10_000), "pasted: ünïcode ✓ 日本\n");
    });

    it("the API reads what xterm selected (a drag across its line selects it into PRIMARY)", async () => {
      const marker = `marker-${randomUUID().slice(0, 8)}-日本`;
      const title = `clip-${randomUUID().slice(0, 8)}`;
      await t().grpc.launchApplication({
        argv: ["xterm", "-title", title, "-geometry", "60x5+400+400", "-e", "sh", "-c", `printf '%s\\n' '${marker}'; sleep 60`],
      });
      const win = await eventually(async () => (await t().grpc.listWindows({})).windows.find((w) => w.title === title), 15_000);
      const g = win.geometry!;
      const text = await eventually(async () => {
        await t().grpc.action({
          action: {
            case: "leftClickDrag",
            value: { startCoordinate: { x: g.x + 1, y: g.y + 6 }, coordinate: { x: g.x + g.width - 2, y: g.y + 6 } },
          },
        });
        const got = (await t().grpc.getClipboard({ selection: Selection.PRIMARY })).text;
        return got.includes(marker) ? got : undefined;
      }, 15_000);
      assert.equal(text.trim(), marker);
    });

    it("over 1 MiB is INVALID_ARGUMENT", async () => {
      assert.equal(
        await t()
          .grpc.setClipboard({ text: "x".repeat(1024 * 1024 + 1) })
          .catch(code),
        "InvalidArgument",
      );
    });
  });
}
