/**
 * A window's claims about its process are not trusted: _NET_WM_PID is written
 * by the client itself. ListWindows reports, and CloseWindow kills, the
 * owner the X server knows (X-Resource), and CloseWindow signals only
 * processes the desktop started. Before, a window claiming the service's pid
 * made CloseWindow kill the service, and one claiming another process's pid
 * killed that process. Both backends.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { execa } from "execa";
import type { SessionDriver } from "../src/desktop/session.js";
import { X11Connection } from "../src/desktop/x11/connection.js";
import { alive, eventually } from "./helpers/process.js";
import { startPortableServer, startTestServer, type TestServer, useServer } from "./helpers/server.js";

const NATIVE = { width: 1024, height: 768 };
const CARDINAL = 6;
const ATOM = 4;
const STRING = 31;
const WM_NAME = 39;

const backends = [
  { name: "builtin", start: () => startTestServer({ geometry: NATIVE }) },
  { name: "portabledesktop (stand-in CLI)", start: () => startPortableServer({ geometry: NATIVE }) },
];

for (const backend of backends) {
  describe(`window owners: ${backend.name}`, () => {
    const t = useServer(backend.start as () => Promise<TestServer<SessionDriver>>);
    const windowTitled = (title: string) =>
      eventually(async () => (await t().grpc.listWindows({})).windows.find((w) => w.title === title), 15_000);

    it("a hung app whose window claims another process's pid: ListWindows shows the real owner, CloseWindow kills the app, not the claimed process", async () => {
      const bystander = execa("sleep", ["120"], { reject: false });
      const x = await X11Connection.connect(t().x11().display, t().x11().cookie);
      const title = `spec-forged-${randomUUID().slice(0, 8)}`;
      const { pid } = await t().grpc.launchApplication({ argv: ["xterm", "-title", title, "-geometry", "40x10+10+10"] });
      try {
        const win = await windowTitled(title);
        process.kill(pid, "SIGSTOP"); // hung: never reads WM_DELETE_WINDOW
        const claim = await x.atom("_NET_WM_PID");
        x.send((X) => X.ChangeProperty(0, win.id, claim, CARDINAL, 32, [bystander.pid as number]));
        await x.sync();
        assert.equal((await windowTitled(title)).pid, pid, "the owner as the X server knows it");
        const res = await t().grpc.closeWindow({ id: win.id, killAfterMs: 300 });
        assert.equal(res.killed, true);
        await eventually(async () => (alive(pid) ? undefined : true), 10_000);
        assert.ok(alive(bystander.pid as number), "the claimed process lives");
      } finally {
        if (alive(pid)) process.kill(pid, "SIGKILL");
        bystander.kill("SIGKILL");
        x.close();
      }
    });

    it("a window of a client the desktop did not start, claiming the service's pid: CloseWindow refuses to kill (FAILED_PRECONDITION) and nothing is signalled", async () => {
      // This spec's own X connection: its process is the service's.
      const x = await X11Connection.connect(t().x11().display, t().x11().cookie);
      const title = `spec-outsider-${randomUUID().slice(0, 8)}`;
      try {
        const [protocols, deleteWindow, claim] = await Promise.all(
          ["WM_PROTOCOLS", "WM_DELETE_WINDOW", "_NET_WM_PID"].map((n) => x.atom(n)),
        );
        x.send((X) => {
          const wid = X.AllocID();
          X.CreateWindow(wid, x.root, 20, 20, 200, 100, 0, 0, 0, 0, { backgroundPixel: 0x336699 });
          // It asks to be told of a close (so the window manager does not kill its connection) and never answers.
          X.ChangeProperty(0, wid, protocols, ATOM, 32, [deleteWindow]);
          X.ChangeProperty(0, wid, claim, CARDINAL, 32, [process.pid]);
          X.ChangeProperty(0, wid, WM_NAME, STRING, 8, Buffer.from(title));
          X.MapWindow(wid);
        });
        const win = await windowTitled(title);
        assert.equal(win.pid, process.pid, "the X server names this process");
        const err = await t()
          .grpc.closeWindow({ id: win.id, killAfterMs: 300 })
          .then(
            () => undefined,
            (e) => ConnectError.from(e),
          );
        assert.equal(err?.code, Code.FailedPrecondition, String(err));
        assert.match(err.rawMessage, /was not started by this desktop, so it was not killed/);
        assert.ok(await windowTitled(title), "the window is still there");
      } finally {
        x.close();
      }
    });
  });
}
