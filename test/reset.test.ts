/**
 * Reset, on both backends: a desktop used by one task (an app it launched,
 * the clipboard, a pressed button and a moved pointer, a recording, files,
 * a Screenshot stream open) comes back clean. The app's process and window
 * are gone and the `--open` app runs again (a new process), the clipboard
 * is empty, the pointer and buttons are fresh, the recording is unknown, the
 * file root is empty while a file outside it that a symlink in the root
 * pointed at survives, the open stream ended UNAVAILABLE saying the desktop
 * was reset, and the next Action works. The answer names each part with its
 * time. Also over MCP (reset_desktop) and the CLI (desktopd reset).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Code, ConnectError } from "@connectrpc/connect";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { execa } from "execa";
import type { SessionDriver } from "../src/desktop/session.js";
import { FileRoot } from "../src/files/file-root.js";
import { alive, eventually } from "./helpers/process.js";
import { startPortableServer, startTestServer, type TestServer, type TestServerOptions } from "./helpers/server.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const GEOMETRY = { width: 800, height: 600 };
const OPENED = "opened-at-start";

const backends: { name: string; start: (o: TestServerOptions) => Promise<TestServer<SessionDriver>> }[] = [
  { name: "builtin", start: (o) => startTestServer(o) as Promise<TestServer<SessionDriver>> },
  { name: "portabledesktop (stand-in CLI)", start: (o) => startPortableServer(o) as Promise<TestServer<SessionDriver>> },
];

for (const backend of backends) {
  describe(`Reset: ${backend.name}`, () => {
    let t: TestServer<SessionDriver>;
    let root: string;
    let outside: string;
    before(async () => {
      root = await mkdtemp(join(tmpdir(), "desktopd-reset-root-"));
      outside = await mkdtemp(join(tmpdir(), "desktopd-reset-outside-"));
      t = await backend.start({
        geometry: GEOMETRY,
        open: [["xterm", "-title", OPENED, "-e", "sleep", "600"]],
        files: new FileRoot(root),
        resetFiles: true,
      });
    });
    after(async () => {
      await t?.close();
      await rm(root, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    });

    const windows = async () => (await t.grpc.listWindows({})).windows;
    const windowOf = async (title: string) => (await windows()).find((w) => w.title === title);

    it("a used desktop comes back clean: apps, clipboard, pointer, recordings and files gone; the --open app again; the next Action works", async () => {
      const opened = await eventually(async () => (await windowOf(OPENED)) ?? undefined, 20_000);
      const task = `task-${randomUUID().slice(0, 8)}`;
      const { pid } = await t.grpc.launchApplication({ argv: ["xterm", "-title", task, "-e", "sleep", "600"] });
      await eventually(async () => (await windowOf(task)) ?? undefined, 20_000);
      await t.grpc.setClipboard({ text: "the last task's secret" });
      await t.grpc.action({ action: { case: "mouseMove", value: { coordinate: { x: 17, y: 23 } } } });
      await t.grpc.action({ action: { case: "leftMouseDown", value: {} } });
      const recording = randomUUID();
      await t.grpc.startRecording({ recordingId: recording });
      async function* upload() {
        yield { path: "work/notes.txt", data: Buffer.from("notes\n") };
      }
      await t.grpc.uploadFile(upload());
      await writeFile(join(outside, "keep.txt"), "not the desktop's\n");
      await symlink(outside, join(root, "link-out"));
      const stream = t.grpc.screenshot({ maxFps: 2, keepaliveMs: 1000 })[Symbol.asyncIterator]();
      await stream.next();
      const streamEnd = (async () => {
        for (;;) {
          const m = await stream.next();
          if (m.done) return "ended without an error";
        }
      })().catch((e: unknown) => ConnectError.from(e));

      const res = await t.grpc.reset({});

      assert.deepEqual(
        res.steps.map((s) => s.name),
        ["recordings", "stop desktop", "files", "start desktop"],
      );
      assert.deepEqual([res.steps[0].detail, res.steps[2].detail], ["1 deleted", "2 entries removed"]);
      assert.ok(res.steps.every((s) => s.durationUs > 0n) && res.totalUs >= res.steps.reduce((a, s) => a + s.durationUs, 0n));

      const ended = await streamEnd;
      assert.ok(ended instanceof ConnectError && ended.code === Code.Unavailable && /was reset/.test(ended.rawMessage), String(ended));
      assert.equal(alive(pid), false, "the task's app was killed");
      assert.equal(alive(opened.pid), false, "the old --open app too");
      const again = await eventually(async () => (await windowOf(OPENED)) ?? undefined, 20_000);
      assert.notEqual(again.pid, opened.pid, "the --open app runs again, a new process");
      assert.equal(await windowOf(task), undefined);
      assert.equal((await t.grpc.getClipboard({})).text, "");
      const cursor = await t.grpc.action({ action: { case: "cursorPosition", value: {} } });
      assert.notDeepEqual([cursor.cursor?.x, cursor.cursor?.y], [17, 23], "a fresh pointer");
      await assert.rejects(
        (async () => {
          for await (const _ of t.grpc.stopRecording({ recordingId: recording }));
        })(),
        (e) => ConnectError.from(e).code === Code.NotFound,
      );
      assert.deepEqual(await readdir(root), []);
      assert.equal(await readFile(join(outside, "keep.txt"), "utf8"), "not the desktop's\n", "the link was removed, not its target");
      // A click: the button pressed before the reset is not held on the new desktop.
      await t.grpc.action({ action: { case: "leftClick", value: { coordinate: { x: 400, y: 300 } } } });
    });

    it("over MCP (reset_desktop) and the CLI (desktopd reset): the same parts, each with its time", async () => {
      const mcp = new Client({ name: "desktopd-spec", version: "1.0.0" });
      await mcp.connect(
        new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${t.token}` } } }),
      );
      try {
        const r = (await mcp.callTool({ name: "reset_desktop", arguments: {} })) as {
          content: { type: string; text: string }[];
          isError?: boolean;
        };
        assert.notEqual(r.isError, true, JSON.stringify(r));
        const body = JSON.parse(r.content[0].text) as { steps: { name: string; ms: number }[]; total_ms: number };
        assert.deepEqual(
          body.steps.map((s) => s.name),
          ["recordings", "stop desktop", "files", "start desktop"],
        );
        assert.ok(body.total_ms > 0);
      } finally {
        await mcp.close();
      }
      const cli = await execa("node", ["--import", "tsx", MAIN, "reset"], {
        env: { DESKTOPD_URL: t.url, DESKTOPD_TOKEN: t.token, DESKTOPD_LOG_LEVEL: "error" },
        reject: false,
      });
      assert.equal(cli.exitCode, 0, cli.stderr);
      assert.match(cli.stdout, /^recordings +[\d.]+ ms {2}0 deleted\nstop desktop .*\nfiles .*\nstart desktop .*\ntotal +[\d.]+ ms$/);
      await eventually(async () => (await windowOf(OPENED)) ?? undefined, 20_000);
    });
  });
}

describe("Reset without --reset-files", () => {
  let t: TestServer<SessionDriver>;
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "desktopd-reset-keep-"));
    t = (await startTestServer({ geometry: GEOMETRY, files: new FileRoot(root) })) as TestServer<SessionDriver>;
  });
  after(async () => {
    await t?.close();
    await rm(root, { recursive: true, force: true });
  });

  it("keeps the file root, and says so", async () => {
    await writeFile(join(root, "kept.txt"), "kept\n");
    const res = await t.grpc.reset({});
    assert.equal(res.steps.find((s) => s.name === "files")?.detail, "kept (the service runs without --reset-files)");
    assert.deepEqual(await readdir(root), ["kept.txt"]);
  });
});
