/**
 * What an agent does with files, through the API alone, on both backends:
 * upload a document, open it in an application (xterm showing it, appending
 * each line entered), copy a line out of it through the clipboard (PRIMARY:
 * a drag selects it), edit the document (a word typed, the copied line pasted
 * back with a middle click), and download the edited file.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Selection } from "../gen/desktop/v1/desktop_pb.js";
import { FileRoot } from "../src/files/file-root.js";
import { eventually } from "./helpers/process.js";
import { startPortableServer, startTestServer, type TestServer } from "./helpers/server.js";

const NATIVE = { width: 1024, height: 768 };

const backends = [
  { name: "builtin", start: (files: FileRoot) => startTestServer({ geometry: NATIVE, files }) },
  { name: "portabledesktop (stand-in CLI)", start: (files: FileRoot) => startPortableServer({ geometry: NATIVE, files }) },
];

for (const backend of backends) {
  describe(`an agent's file round trip: ${backend.name}`, () => {
    let root: string;
    let t: TestServer<import("../src/desktop/session.js").SessionDriver>;
    before(async () => {
      root = await mkdtemp(join(tmpdir(), "desktopd-agent-"));
      t = await backend.start(new FileRoot(root));
    });
    after(async () => {
      await t?.close();
      await rm(root, { recursive: true, force: true });
    });

    it("upload a document, open it, copy a line out through the clipboard, edit it, download the edited file", async () => {
      const line = `quote-${randomUUID().slice(0, 8)} naïve 日本`;
      async function* doc() {
        yield { path: "work/notes.txt", data: Buffer.from(`${line}\n`) };
      }
      await t.grpc.uploadFile(doc());
      const title = `notes-${randomUUID().slice(0, 8)}`;
      // The application: shows the document, appends each line typed to it.
      const app = ["sh", "-c", 'cat notes.txt; while IFS= read -r l; do printf "%s\\n" "$l" >> notes.txt; done'];
      await t.grpc.launchApplication({
        argv: ["xterm", "-title", title, "-geometry", "70x6+100+100", "-e", ...app],
        workingDirectory: join(root, "work"),
      });
      const win = await eventually(async () => (await t.grpc.listWindows({})).windows.find((w) => w.title === title), 15_000);
      const g = win.geometry!;
      const copied = await eventually(async () => {
        await t.grpc.action({
          action: {
            case: "leftClickDrag",
            value: { startCoordinate: { x: g.x + 1, y: g.y + 6 }, coordinate: { x: g.x + g.width - 2, y: g.y + 6 } },
          },
        });
        const text = (await t.grpc.getClipboard({ selection: Selection.PRIMARY })).text.trim();
        return text === line ? text : undefined;
      }, 15_000);
      assert.equal(copied, line);
      // The edit: a word typed, then the copied line pasted back (middle click pastes PRIMARY), then Return.
      await t.grpc.action({ action: { case: "type", value: { text: "edited: " } } });
      await t.grpc.action({ action: { case: "middleClick", value: { coordinate: { x: g.x + 40, y: g.y + 40 } } } });
      await t.grpc.action({ action: { case: "key", value: { text: "Return" } } });
      const edited = await eventually(async () => {
        const parts: Uint8Array[] = [];
        for await (const r of t.grpc.downloadFile({ path: "work/notes.txt" })) if (r.part.case === "chunk") parts.push(r.part.value);
        const text = Buffer.concat(parts).toString("utf8");
        return text.includes("edited:") ? text : undefined;
      }, 10_000);
      // A selection that reaches the line's end carries its newline: the paste may enter the line itself.
      assert.deepEqual(edited.split("\n").filter(Boolean), [line, `edited: ${line}`]);
    });
  });
}
