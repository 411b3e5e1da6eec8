/**
 * Applications and windows on a real desktop, both backends: LaunchApplication
 * starts a program (argv, working directory, extra env) and its window shows
 * in ListWindows with its title, class, pid and geometry (declared space when
 * asked); ActivateWindow focuses it; CloseWindow closes it politely, or
 * kills a program that does not answer. Firefox ESR goes through the same
 * steps. Bad requests are INVALID_ARGUMENT or NOT_FOUND.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Window } from "../gen/desktop/v1/desktop_pb.js";
import type { SessionDriver } from "../src/desktop/session.js";
import { firefoxProfile } from "./helpers/firefox.js";
import { alive, eventually } from "./helpers/process.js";
import { startPortableServer, startTestServer, type TestServer, useServer } from "./helpers/server.js";

const NATIVE = { width: 1024, height: 768 };
const code = (e: unknown) => Code[ConnectError.from(e).code];

const backends = [
  { name: "builtin", start: () => startTestServer({ geometry: NATIVE }) },
  { name: "portabledesktop (stand-in CLI)", start: () => startPortableServer({ geometry: NATIVE }) },
];

for (const backend of backends) {
  describe(`applications and windows: ${backend.name}`, () => {
    const t = useServer(backend.start as () => Promise<TestServer<SessionDriver>>);

    const windowTitled = (title: string) =>
      eventually(async () => (await t().grpc.listWindows({})).windows.find((w) => w.title === title), 15_000);

    it("a launched program gets the working directory and extra environment it was given", async () => {
      const dir = await mkdtemp(join(tmpdir(), "desktopd-launch-"));
      try {
        const res = await t().grpc.launchApplication({
          // Written aside and renamed: out.txt appears whole, never empty while printf runs.
          argv: ["sh", "-c", 'printf "%s" "$GREETING" > out.tmp && mv out.tmp out.txt'],
          workingDirectory: dir,
          env: { GREETING: "hé there" },
        });
        assert.ok(res.pid > 0);
        assert.equal(await eventually(() => readFile(join(dir, "out.txt"), "utf8")), "hé there");
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("an xterm shows in ListWindows by title, with its class, pid and geometry (native and declared); ActivateWindow focuses, CloseWindow closes", async () => {
      const [a, b] = [`spec-a-${randomUUID().slice(0, 8)}`, `spec-b-${randomUUID().slice(0, 8)}`];
      const first = await t().grpc.launchApplication({ argv: ["xterm", "-title", a, "-geometry", "40x10+10+10"] });
      const wa: Window = await windowTitled(a);
      assert.equal(wa.className, "XTerm");
      assert.equal(wa.pid, first.pid);
      const g = wa.geometry!;
      assert.ok(g.width > 100 && g.height > 50 && g.x >= 0 && g.y >= 0 && g.x + g.width <= NATIVE.width, JSON.stringify(g));
      const half = (await t().grpc.listWindows({ scaledSize: { width: 512, height: 384 } })).windows.find((w) => w.id === wa.id)!;
      assert.ok(
        Math.abs(half.geometry!.width - g.width / 2) <= 1 && Math.abs(half.geometry!.x - g.x / 2) <= 1,
        JSON.stringify(half.geometry),
      );

      await t().grpc.launchApplication({ argv: ["xterm", "-title", b, "-geometry", "40x10+300+200"] });
      await eventually(async () => ((await windowTitled(b)).focused ? true : undefined), 15_000);
      await t().grpc.activateWindow({ id: wa.id });
      await eventually(async () => ((await windowTitled(a)).focused ? true : undefined), 10_000);

      const closed = await t().grpc.closeWindow({ id: wa.id });
      assert.equal(closed.killed, false);
      await eventually(async () => ((await t().grpc.listWindows({})).windows.some((w) => w.id === wa.id) ? undefined : true), 10_000);
      await eventually(async () => (alive(first.pid) ? undefined : true), 10_000);
    });

    it("CloseWindow on a program that does not answer: only asking leaves it; kill_after_ms kills its process and the window goes", async () => {
      const title = `spec-hung-${randomUUID().slice(0, 8)}`;
      const { pid } = await t().grpc.launchApplication({ argv: ["xterm", "-title", title, "-geometry", "40x10+50+50"] });
      const win = await windowTitled(title);
      process.kill(pid, "SIGSTOP"); // hung: WM_DELETE_WINDOW is never read
      try {
        assert.deepEqual(
          await t()
            .grpc.closeWindow({ id: win.id })
            .then((r) => r.killed),
          false,
        );
        const started = Date.now();
        const res = await t().grpc.closeWindow({ id: win.id, killAfterMs: 400 });
        assert.equal(res.killed, true);
        assert.ok(Date.now() - started >= 400, "it waited kill_after_ms first");
        await eventually(async () => (alive(pid) ? undefined : true), 10_000);
        await eventually(async () => ((await t().grpc.listWindows({})).windows.some((w) => w.id === win.id) ? undefined : true), 10_000);
      } finally {
        if (alive(pid)) process.kill(pid, "SIGKILL");
      }
    });

    it("bad requests: INVALID_ARGUMENT for an empty argv, over-long arguments, a relative directory or window id 0; FAILED_PRECONDITION for a missing directory; NOT_FOUND for a missing program or window", async () => {
      const g = t().grpc;
      assert.equal(await g.launchApplication({ argv: [] }).catch(code), "InvalidArgument");
      assert.equal(await g.launchApplication({ argv: ["xterm"], workingDirectory: "relative/dir" }).catch(code), "InvalidArgument");
      assert.equal(await g.launchApplication({ argv: ["no-such-program-desktopd"] }).catch(code), "NotFound");
      // What is wrong is said, not "could not start".
      const said = (e: unknown) => `${code(e)} ${ConnectError.from(e).rawMessage}`;
      assert.match(
        await g.launchApplication({ argv: ["true", "x".repeat(200 * 1024)] }).then(() => "launched", said),
        /^InvalidArgument argv\[1\]: is 204801 bytes; at most 131072/,
      );
      assert.match(
        await g.launchApplication({ argv: ["true", ...Array(10).fill("y".repeat(120 * 1024))] }).then(() => "launched", said),
        /^InvalidArgument argv: arguments and env are \d+ bytes in all; at most 1048576/,
      );
      assert.match(
        await g.launchApplication({ argv: ["xterm"], workingDirectory: "/no/such/dir-desktopd" }).then(() => "launched", said),
        /^FailedPrecondition working_directory: "\/no\/such\/dir-desktopd" does not exist/,
      );
      assert.match(
        await g.launchApplication({ argv: ["xterm"], workingDirectory: "/etc/passwd" }).then(() => "launched", said),
        /is not a directory/,
      );
      assert.equal(await g.activateWindow({ id: 0 }).catch(code), "InvalidArgument");
      assert.equal(await g.activateWindow({ id: 0x7ffffff }).catch(code), "NotFound");
      assert.equal(await g.closeWindow({ id: 0x7ffffff }).catch(code), "NotFound");
      assert.equal(await g.closeWindow({ id: 1, killAfterMs: 60_001 }).catch(code), "InvalidArgument");
    });
  });
}

describe("applications and windows: Firefox ESR (builtin)", () => {
  const t = useServer(() => startTestServer({ geometry: NATIVE }));

  it("launch Firefox, find its window by the page title, activate it over an xterm, close it politely: the browser exits", async () => {
    const profile = await firefoxProfile();
    try {
      const title = `spec-page-${randomUUID().slice(0, 8)}`;
      // A file: Firefox refuses top-level data: URLs given on its command line.
      const page = join(profile, "page.html");
      await writeFile(page, `<!doctype html><title>${title}</title><h1>hello</h1>`);
      const fx = await t().grpc.launchApplication({
        argv: ["firefox-esr", "--no-remote", "--new-instance", "--profile", profile, `file://${page}`],
        env: { MOZ_CRASHREPORTER_DISABLE: "1" },
      });
      const byPage = () => eventually(async () => (await t().grpc.listWindows({})).windows.find((w) => w.title.startsWith(title)), 60_000);
      const win = await byPage();
      assert.match(win.title, /Firefox/);
      assert.match(win.className, /firefox/i);
      assert.equal(win.pid, fx.pid);

      const other = `spec-over-${randomUUID().slice(0, 8)}`;
      await t().grpc.launchApplication({ argv: ["xterm", "-title", other, "-geometry", "40x10+300+200"] });
      await eventually(
        async () => ((await t().grpc.listWindows({})).windows.find((w) => w.title === other)?.focused ? true : undefined),
        15_000,
      );
      await t().grpc.activateWindow({ id: win.id });
      await eventually(async () => ((await byPage()).focused ? true : undefined), 10_000);

      assert.equal((await t().grpc.closeWindow({ id: win.id })).killed, false);
      await eventually(async () => ((await t().grpc.listWindows({})).windows.some((w) => w.id === win.id) ? undefined : true), 20_000);
      await eventually(async () => (alive(fx.pid) ? undefined : true), 20_000);
    } finally {
      await rm(profile, { recursive: true, force: true });
    }
  });
});
