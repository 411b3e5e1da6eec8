/**
 * Reset, on both backends: a desktop used by one task (an app it launched,
 * an X client connected from outside, the clipboard, a remapped key, Caps
 * Lock on, a pressed button and a moved pointer, a recording, files, a
 * Screenshot stream open) comes back clean. The app's process and window
 * are gone and the `--open` app runs again (a new process), the outside
 * client is disconnected, the clipboard is empty, the keymap is the
 * server's own again, Caps Lock is off, the pointer is centred and no button
 * is down, the recording is unknown, the file root is empty while a file
 * outside it that a symlink in the root pointed at survives, the open stream
 * ended UNAVAILABLE saying the desktop was reset, and the next Action works.
 * The built-in backend cleans its X server in place unless asked for a new
 * one; PortableDesktop always starts a new one and says why. The answer names
 * each part with its time. Also over MCP (reset_desktop) and the CLI
 * (desktopd reset).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Code, ConnectError } from "@connectrpc/connect";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { execa } from "execa";
import type { SessionDriver } from "../src/desktop/session.js";
import { X11Connection } from "../src/desktop/x11/connection.js";
import { FileRoot } from "../src/files/file-root.js";
import { dirtyKeyboard, keyboardState, XK_a, XK_z } from "./helpers/keyboard.js";
import { alive, eventually } from "./helpers/process.js";
import { startPortableServer, startTestServer, type TestServer, type TestServerOptions } from "./helpers/server.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const GEOMETRY = { width: 800, height: 600 };
const OPENED = "opened-at-start";

const IN_PLACE = ["recordings", "stop programs", "clean display", "files", "start apps"];
const NEW_SERVER = ["recordings", "stop desktop", "files", "start desktop"];
const backends: {
  name: string;
  start: (o: TestServerOptions) => Promise<TestServer<SessionDriver>>;
  /** Steps of a Reset{} and of a Reset{new_x_server}; `why` a new server was started for Reset{}. */
  steps: string[];
  why: RegExp | "";
}[] = [
  { name: "builtin", start: (o) => startTestServer(o) as Promise<TestServer<SessionDriver>>, steps: IN_PLACE, why: "" },
  {
    name: "portabledesktop (stand-in CLI)",
    start: (o) => startPortableServer(o) as Promise<TestServer<SessionDriver>>,
    steps: NEW_SERVER,
    why: /portabledesktop backend cannot clean one in place/,
  },
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
    /** The --open app's window; failing, what the desktop had instead (the windows, the processes). */
    const openedWindow = async () => {
      try {
        return await eventually(async () => (await windowOf(OPENED)) ?? undefined, 20_000);
      } catch (err) {
        const listed = await windows().then(
          (ws) => JSON.stringify(ws.map((w) => w.title)),
          (e: Error) => `none (ListWindows: ${e.message})`,
        );
        const ps = await execa("ps", ["-eo", "pid,pgid,stat,etimes,args"], { reject: false });
        const ours = ps.stdout.split("\n").filter((l) => /xterm|openbox|Xvnc|portabledesktop/.test(l));
        throw new Error(`the --open xterm's window did not show in 20 s; windows: ${listed}; processes:\n${ours.join("\n")}`, {
          cause: err,
        });
      }
    };

    it("a used desktop comes back clean: apps, clipboard, pointer, recordings and files gone; the --open app again; the next Action works", async () => {
      const opened = await openedWindow();
      const task = `task-${randomUUID().slice(0, 8)}`;
      const { pid } = await t.grpc.launchApplication({ argv: ["xterm", "-title", task, "-e", "sleep", "600"] });
      await eventually(async () => (await windowOf(task)) ?? undefined, 20_000);
      await t.grpc.setClipboard({ text: "the last task's secret" });
      await t.grpc.action({ action: { case: "mouseMove", value: { coordinate: { x: 17, y: 23 } } } });
      await t.grpc.action({ action: { case: "leftMouseDown", value: {} } });
      await t.grpc.action({ action: { case: "key", value: { text: "Caps_Lock" } } });
      const outsider = await dirtyKeyboard(t);
      let disconnected = false;
      outsider.onLost = () => {
        disconnected = true;
      };
      const dirty = await keyboardState(t);
      assert.deepEqual([dirty.keysym, dirty.pointer], [XK_z, [17, 23]]);
      // The stand-in CLI's input does not reach the X server: only the built-in's holds a button and Caps Lock.
      if (backend.name === "builtin") assert.deepEqual([dirty.capsLock, dirty.buttons], [true, 0x100]);
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
        backend.steps,
      );
      assert.equal(res.newXServer, backend.steps === NEW_SERVER);
      assert.match(res.why, backend.why === "" ? /^$/ : backend.why);
      assert.equal(res.steps[0].detail, "1 deleted");
      assert.equal(res.steps.find((s) => s.name === "files")?.detail, "2 entries removed");
      assert.ok(res.steps.every((s) => s.durationUs > 0n) && res.totalUs >= res.steps.reduce((a, s) => a + s.durationUs, 0n));

      const ended = await streamEnd;
      assert.ok(ended instanceof ConnectError && ended.code === Code.Unavailable && /was reset/.test(ended.rawMessage), String(ended));
      assert.equal(alive(pid), false, "the task's app was killed");
      assert.equal(alive(opened.pid), false, "the old --open app too");
      const again = await openedWindow();
      assert.notEqual(again.pid, opened.pid, "the --open app runs again, a new process");
      assert.equal(await windowOf(task), undefined);
      assert.equal((await t.grpc.getClipboard({})).text, "");
      await eventually(async () => disconnected || undefined, 5000);
      assert.deepEqual(
        await keyboardState(t),
        { keysym: XK_a, capsLock: false, pointer: [400, 300], buttons: 0 },
        "a fresh keyboard and pointer",
      );
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
        const body = JSON.parse(r.content[0].text) as { steps: { name: string; ms: number }[]; total_ms: number; new_x_server: boolean };
        assert.deepEqual(
          body.steps.map((s) => s.name),
          backend.steps,
        );
        assert.equal(body.new_x_server, backend.steps === NEW_SERVER);
        assert.ok(body.total_ms > 0);
      } finally {
        await mcp.close();
      }
      const cli = await execa("node", ["--import", "tsx", MAIN, "reset", "--new-x-server"], {
        env: { DESKTOPD_URL: t.url, DESKTOPD_TOKEN: t.token, DESKTOPD_LOG_LEVEL: "error" },
        reject: false,
      });
      assert.equal(cli.exitCode, 0, cli.stderr);
      assert.match(
        cli.stdout,
        /^recordings +[\d.]+ ms {2}0 deleted\nstop desktop .*\nfiles .*\nstart desktop .*\ntotal +[\d.]+ ms {2}new X server: asked for$/,
      );
      await openedWindow();
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

describe("Reset on the built-in backend: in place, or on a new X server", () => {
  let t: TestServer<SessionDriver>;
  before(async () => {
    t = (await startTestServer({ geometry: GEOMETRY })) as TestServer<SessionDriver>;
  });
  after(async () => {
    await t?.close();
  });

  const display = () => t.x11().display;
  const xvnc = () => t.pids()[0];

  it("new_x_server: a new X server, said so", async () => {
    await t.grpc.action({ action: { case: "cursorPosition", value: {} } });
    const before = xvnc();
    const res = await t.grpc.reset({ newXServer: true });
    assert.deepEqual(
      res.steps.map((s) => s.name),
      NEW_SERVER,
    );
    assert.deepEqual([res.newXServer, res.why], [true, "asked for"]);
    assert.notEqual(xvnc(), before);
    assert.equal(alive(before), false);
  });

  it("in place by default: the same X server; a client with no window to disconnect it by makes it a new one", async () => {
    await t.grpc.action({ action: { case: "cursorPosition", value: {} } });
    const server = xvnc();
    const same = await t.grpc.reset({});
    assert.deepEqual([same.newXServer, xvnc(), display()], [false, server, display()]);

    const windowless = await X11Connection.connect(t.x11().display, t.x11().cookie);
    try {
      const res = await t.grpc.reset({});
      assert.equal(res.newXServer, true);
      assert.match(res.why, /could not be cleaned in place: 1 X clients of the last task have no window/);
      assert.notEqual(xvnc(), server);
      await t.grpc.action({ action: { case: "leftClick", value: { coordinate: { x: 10, y: 10 } } } });
    } finally {
      windowless.close();
    }
  });
});

describe("Reset with a file root template (serve --file-root-template)", () => {
  let t: TestServer<SessionDriver>;
  let root: string;
  let template: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "desktopd-reset-root-"));
    template = await mkdtemp(join(tmpdir(), "desktopd-reset-template-"));
    await mkdir(join(template, "inputs"));
    await writeFile(join(template, "inputs", "task.csv"), "a,b\n1,2\n", { mode: 0o640 });
    await symlink("inputs/task.csv", join(template, "latest.csv"));
    t = (await startTestServer({
      geometry: GEOMETRY,
      files: new FileRoot(root),
      resetFiles: true,
      fileTemplate: template,
    })) as TestServer<SessionDriver>;
  });
  after(async () => {
    await t?.close();
    await rm(root, { recursive: true, force: true });
    await rm(template, { recursive: true, force: true });
  });

  it("empties the root and copies the template in: files, modes and links as they were; the template untouched", async () => {
    async function* upload() {
      yield { path: "inputs/task.csv", data: Buffer.from("changed by the task\n") };
    }
    await t.grpc.uploadFile(upload());
    await writeFile(join(root, "left-behind.txt"), "x");
    const res = await t.grpc.reset({});
    assert.equal(res.steps.find((s) => s.name === "files")?.detail, "2 entries removed, the template copied in");
    assert.deepEqual((await readdir(root)).sort(), ["inputs", "latest.csv"]);
    assert.equal(await readFile(join(root, "inputs", "task.csv"), "utf8"), "a,b\n1,2\n");
    assert.equal((await stat(join(root, "inputs", "task.csv"))).mode & 0o777, 0o640);
    assert.equal(await readlink(join(root, "latest.csv")), "inputs/task.csv");
    assert.equal(await readFile(join(template, "inputs", "task.csv"), "utf8"), "a,b\n1,2\n");
    const listed = await t.grpc.listFiles({ path: "inputs" });
    assert.deepEqual(
      listed.files.map((e) => e.path),
      ["inputs/task.csv"],
    );
  });
});
