/**
 * The built-in desktop's life: it is ready once openbox is; a dead Xvnc is
 * replaced on the next call; close and shutdown leave no process behind and
 * end streams with UNAVAILABLE.
 */
import assert from "node:assert/strict";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { execa } from "execa";
import { builtinHost } from "../src/desktop/builtin/host.js";
import { alive, eventually, quietFor, until } from "./helpers/process.js";
import { startTestServer, testLogger } from "./helpers/server.js";
import { TestWindows } from "./helpers/xwindow.js";

describe("Desktop lifecycle", () => {
  it("start returns once openbox is up, so a window focused at once keeps the focus (even with a slow openbox)", async () => {
    // Failure injection: an openbox that takes 1 s to start, as on a fresh
    // machine. openbox takes the focus as its last startup step.
    const real = (await execa("sh", ["-c", "command -v openbox"])).stdout;
    const bin = await mkdtemp(join(tmpdir(), "desktopd-slow-wm-"));
    await writeFile(join(bin, "openbox"), `#!/bin/sh\nsleep 1\nexec ${real} "$@"\n`);
    await chmod(join(bin, "openbox"), 0o755);
    const desktop = builtinHost({ env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, logger: testLogger() });
    try {
      const ep = (await desktop.session()).endpoint;
      const w = await TestWindows.open(ep.display, ep.cookie);
      try {
        const wid = await w.window(0, 0, 100, 100, 0x00ff00, { focus: true });
        await quietFor(1500); // openbox would take the focus within this
        assert.equal(await w.focus(), wid);
      } finally {
        w.close();
      }
    } finally {
      await desktop.close();
      await rm(bin, { recursive: true, force: true });
    }
  });

  it("close stops every process it started (no orphans) and later calls are UNAVAILABLE", async () => {
    const t = await startTestServer({ open: [["xterm"]] });
    const pids = t.pids();
    assert.ok(pids.length >= 3, `Xvnc, openbox, xterm: ${pids}`);
    assert.ok(pids.every(alive));
    await t.host.close();
    assert.deepEqual(pids.filter(alive), []);
    await assert.rejects(t.grpc.getDisplay({}), (e) => ConnectError.from(e).code === Code.Unavailable);
    await t.close();
  });

  it("if Xvnc dies, the next call starts a new desktop", async () => {
    const t = await startTestServer();
    try {
      const [xvnc] = t.pids();
      process.kill(xvnc, "SIGKILL");
      await eventually(async () => (t.pids().length === 0 ? true : undefined));
      const d = await t.grpc.getDisplay({});
      assert.equal(d.nativeSize?.width, 1920);
      const [next] = t.pids();
      assert.ok(next && next !== xvnc && alive(next));
      const res = await t.grpc.action({ action: { case: "mouseMove", value: { coordinate: { x: 10, y: 20 } } } });
      assert.deepEqual([res.cursor?.x, res.cursor?.y], [10, 20]);
    } finally {
      await t.close();
    }
  });

  it("a stream open when Xvnc dies never hangs: it fails with UNAVAILABLE or goes on with the new desktop", async () => {
    const t = await startTestServer();
    const ac = new AbortController();
    try {
      let killedAt = Infinity;
      let streaming = () => {};
      const firstFrame = new Promise<void>((r) => (streaming = r));
      const outcome = (async () => {
        try {
          for await (const f of t.grpc.screenshot(
            { maxFps: 30, allFrames: true, scaledSize: { width: 64, height: 36 } },
            { signal: ac.signal },
          )) {
            streaming();
            const at = Number(f.capturedAt!.seconds) * 1000 + f.capturedAt!.nanos / 1e6;
            if (at > killedAt + 200) return "continued";
          }
          return "ended";
        } catch (e) {
          return ConnectError.from(e).code === Code.Unavailable ? "unavailable" : `error ${ConnectError.from(e).message}`;
        }
      })();
      await firstFrame;
      killedAt = Date.now();
      process.kill(t.pids()[0], "SIGKILL");
      const timeout = new Promise((r) => setTimeout(() => r("hung"), 10_000));
      assert.match(String(await Promise.race([outcome, timeout])), /^(unavailable|continued)$/);
      assert.equal((await t.grpc.getDisplay({})).backend, "builtin");
    } finally {
      ac.abort();
      await t.close();
    }
  });

  it("shutdown ends open streams with UNAVAILABLE and stops the desktop", async () => {
    const t = await startTestServer();
    const pids = t.pids();
    // Each stream says it is open by its first message: a frame, the RFB greeting.
    const open: Promise<void>[] = [];
    const opened = () => {
      let resolve = () => {};
      open.push(new Promise<void>((r) => (resolve = r)));
      return resolve;
    };
    const frames = (async (first) => {
      for await (const _ of t.grpc.screenshot({ maxFps: 5, allFrames: true, scaledSize: { width: 64, height: 36 } })) first();
    })(opened());
    const vnc = (async (first) => {
      async function* idle() {
        await new Promise(() => {});
      }
      for await (const _ of t.grpc.vnc(idle())) first();
    })(opened());
    const ended = [frames, vnc].map((s) => assert.rejects(s, (e) => ConnectError.from(e).code === Code.Unavailable));
    await Promise.all(open);
    await t.server.close();
    await Promise.all(ended);
    assert.deepEqual(pids.filter(alive), []);
  });

  it("openbox killed is restarted: click-to-focus works again, and pointer screenshots never fail meanwhile", async () => {
    const t = await startTestServer({ geometry: { width: 800, height: 600 }, open: [["xterm", "-geometry", "80x24+0+0"]] });
    const ep = t.driver().endpoint;
    const w = await TestWindows.open(ep.display, ep.cookie);
    const clickXterm = () => t.grpc.action({ action: { case: "leftClick", value: { coordinate: { x: 150, y: 120 } } } });
    try {
      // The desktop is up with the xterm mapped (a click lands on it).
      await eventually(async () => {
        await clickXterm();
        return (await w.focus()) > 1 ? true : undefined;
      }, 15_000);
      const first = t.driver().server.windowManagerPid!;
      process.kill(first, "SIGABRT");
      await until(() => !alive(first), "openbox is gone");
      // Meanwhile (and after): the pointer is drawn, or the frame says why not; never an error.
      for await (const r of t.grpc.screenshot({ maxFps: 0, includeCursor: true, scaledSize: { width: 80, height: 60 } })) {
        assert.equal(r.image?.width, 80);
      }
      await until(
        () => t.driver().server.windowManagerPid !== first && alive(t.driver().server.windowManagerPid ?? 0),
        "a new openbox runs",
        10_000,
      );
      // Let the new openbox finish starting (it takes the focus as its last step).
      await quietFor(1500);
      // The focus on a window of ours; a click on the xterm moves it there only if a window manager handles clicks.
      const ours = await w.window(500, 400, 100, 100, 0x00ff00, { focus: true });
      assert.equal(await w.focus(), ours);
      const moved = await eventually(async () => {
        await clickXterm();
        const f = await w.focus();
        return f !== ours && f > 1 ? true : undefined;
      }, 10_000);
      assert.ok(moved);
    } finally {
      w.close();
      await t.close();
    }
  });
});
