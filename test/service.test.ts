/**
 * The service contract as clients see it on a real desktop: authentication on
 * every protocol, nothing left held after bad input, GetDisplay, and `buf
 * curl` as a real third-party client. (Each bad field's INVALID_ARGUMENT is
 * specified in memory: test/unit/action.test.ts.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { execa } from "execa";
import { createDesktopClient } from "../src/client/client.js";
import { useTestServer } from "./helpers/server.js";
import { TestWindows } from "./helpers/xwindow.js";

const code = (e: unknown) => ConnectError.from(e).code;

describe("DesktopService contract", () => {
  const t = useTestServer();

  it("GetDisplay describes the desktop: native size, default declared size, backend", async () => {
    const d = await t().grpc.getDisplay({});
    assert.deepEqual([d.nativeSize?.width, d.nativeSize?.height], [1920, 1080]);
    assert.deepEqual([d.defaultDeclaredSize?.width, d.defaultDeclaredSize?.height], [1280, 720]);
    assert.equal(d.backend, "builtin");
  });

  it("rejects a missing or wrong token with UNAUTHENTICATED, on every protocol", async () => {
    for (const protocol of ["grpc", "connect"] as const) {
      for (const token of ["", "not-the-token", `${t().token}x`]) {
        const c = createDesktopClient({ baseUrl: t().url, token, protocol, httpVersion: "1.1" });
        await assert.rejects(c.getDisplay({}), (e) => code(e) === Code.Unauthenticated, `${protocol} token=${token}`);
      }
    }
  });

  it("after bad input nothing is held: the next click arrives with no buttons or modifiers down", async () => {
    await assert.rejects(t().grpc.action({ action: { case: "leftClick", value: { modifiers: "shift+bogus" } } }));
    await assert.rejects(t().grpc.action({ action: { case: "key", value: { text: "ctrl+alt+bogus" } } }));
    const res = await t().grpc.action({ action: { case: "cursorPosition", value: {} } });
    assert.ok(res.cursor);
    // QueryPointer's mask holds modifiers and buttons currently down.
    const { display, cookie } = t().x11();
    const w = await TestWindows.open(display, cookie);
    await w.window(0, 0, 1920, 1080, 0, { record: true, focus: true });
    await t().grpc.action({ action: { case: "leftClick", value: { coordinate: { x: 5, y: 5 } } } });
    const evs = await w.waitFor((e) => e.some((x) => x.type === "ButtonPress"));
    assert.equal(evs.find((x) => x.type === "ButtonPress")!.state & 0xff, 0);
    w.close();
  });

  it("buf curl calls GetDisplay over gRPC (h2c) and Action over Connect (HTTP/1.1)", async () => {
    const buf = ["curl", "--schema", "proto", "-H", `Authorization: Bearer ${t().token}`];
    const get = await execa("node_modules/.bin/buf", [
      ...buf,
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      `${t().url}/desktop.v1.DesktopService/GetDisplay`,
    ]);
    assert.equal(JSON.parse(get.stdout).backend, "builtin");
    const act = await execa("node_modules/.bin/buf", [
      ...buf,
      "-d",
      JSON.stringify({ scaledSize: { width: 1280, height: 720 }, mouseMove: { coordinate: { x: 640, y: 360 } } }),
      `${t().url}/desktop.v1.DesktopService/Action`,
    ]);
    const { phases, ...rest } = JSON.parse(act.stdout) as { phases?: Record<string, string> };
    assert.deepEqual(rest, { output: "mouse_move action performed", cursor: { x: 640, y: 360 } });
    assert.ok(Number(phases?.inputUs) > 0, "the input phase's time, microseconds (int64 as a JSON string)");
    const denied = await execa("node_modules/.bin/buf", ["curl", "--schema", "proto", `${t().url}/desktop.v1.DesktopService/GetDisplay`], {
      reject: false,
    });
    assert.equal(denied.exitCode, Code.Unauthenticated << 3);
  });
});
