/**
 * The service contract as clients see it: authentication, bad input answered
 * with INVALID_ARGUMENT naming the field (and nothing left held), GetDisplay,
 * and `buf curl` as a real third-party client.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { execa } from "execa";
import type { ActionRequestSchema, ImageFormat, ScrollDirection } from "../gen/desktop/v1/desktop_pb.js";
import { createDesktopClient } from "../src/client/client.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const code = (e: unknown) => ConnectError.from(e).code;

describe("DesktopService contract", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it("GetDisplay describes the desktop: native size, default declared size, backend", async () => {
    const d = await t.grpc.getDisplay({});
    assert.deepEqual([d.nativeSize?.width, d.nativeSize?.height], [1920, 1080]);
    assert.deepEqual([d.defaultDeclaredSize?.width, d.defaultDeclaredSize?.height], [1280, 720]);
    assert.equal(d.backend, "builtin");
  });

  it("rejects a missing or wrong token with UNAUTHENTICATED, on every protocol", async () => {
    for (const protocol of ["grpc", "connect"] as const) {
      for (const token of ["", "not-the-token", t.token + "x"]) {
        const c = createDesktopClient({ baseUrl: t.url, token, protocol, httpVersion: "1.1" });
        await assert.rejects(c.getDisplay({}), (e) => code(e) === Code.Unauthenticated, `${protocol} token=${token}`);
      }
    }
  });

  const bad: [string, MessageInitShape<typeof ActionRequestSchema>, string][] = [
    ["no action", {}, "action"],
    ["key without text", { action: { case: "key", value: { text: "" } } }, "key.text"],
    ["unknown key name", { action: { case: "key", value: { text: "ctrl+nosuchkey" } } }, "key.text"],
    ["unknown modifier", { action: { case: "leftClick", value: { modifiers: "hyperdrive" } } }, "left_click.modifiers"],
    ["type without text", { action: { case: "type", value: { text: "" } } }, "type.text"],
    ["type over 64 KiB", { action: { case: "type", value: { text: "a".repeat(64 * 1024 + 1) } } }, "type.text"],
    ["mouse_move without coordinate", { action: { case: "mouseMove", value: {} } }, "mouse_move.coordinate"],
    [
      "drag without start",
      { action: { case: "leftClickDrag", value: { coordinate: { x: 1, y: 1 } } } },
      "left_click_drag.start_coordinate",
    ],
    ["drag without end", { action: { case: "leftClickDrag", value: { startCoordinate: { x: 1, y: 1 } } } }, "left_click_drag.coordinate"],
    ["scroll amount > 100", { action: { case: "scroll", value: { amount: 101 } } }, "scroll.amount"],
    ["negative scroll amount", { action: { case: "scroll", value: { amount: -1 } } }, "scroll.amount"],
    ["unknown scroll direction", { action: { case: "scroll", value: { direction: 9 as ScrollDirection } } }, "scroll.direction"],
    ["negative hold duration", { action: { case: "holdKey", value: { text: "a", durationMs: -5 } } }, "hold_key.duration_ms"],
    ["negative wait", { action: { case: "wait", value: { durationMs: -1 } } }, "wait.duration_ms"],
    ["zero scaled size", { scaledSize: { width: 0, height: 0 }, action: { case: "screenshot", value: {} } }, "scaled_size.width"],
    ["absurd scaled size", { scaledSize: { width: 100000, height: 720 }, action: { case: "screenshot", value: {} } }, "scaled_size.width"],
    ["quality > 100", { action: { case: "screenshot", value: { quality: 101 } } }, "screenshot.quality"],
    ["unknown image format", { action: { case: "screenshot", value: { format: 7 as ImageFormat } } }, "screenshot.format"],
    ["zoom without region", { action: { case: "zoom", value: {} } }, "zoom.region"],
    ["zoom with an empty region", { action: { case: "zoom", value: { region: { x: 0, y: 0, width: 0, height: 5 } } } }, "zoom.region"],
    ["settle too long", { captureAfter: { settleMs: 999999 }, action: { case: "cursorPosition", value: {} } }, "capture_after.settle_ms"],
  ];
  for (const [name, req, field] of bad) {
    it(`INVALID_ARGUMENT naming the field: ${name}`, async () => {
      await assert.rejects(t.grpc.action(req), (e) => {
        const err = ConnectError.from(e);
        assert.equal(err.code, Code.InvalidArgument);
        assert.match(err.rawMessage, new RegExp(`^${field.replace(/\./g, "\\.")}\\b`));
        return true;
      });
    });
  }

  it("bad Screenshot stream parameters are INVALID_ARGUMENT", async () => {
    const cases = [
      [{ maxFps: -1 }, "max_fps"],
      [{ maxFps: 1000 }, "max_fps"],
      [{ region: { x: 1900, y: 0, width: 100, height: 10 } }, "region"],
      [{ scaledSize: { width: 5, height: 0 } }, "scaled_size.height"],
    ] as const;
    for (const [req, field] of cases) {
      await assert.rejects(
        (async () => {
          for await (const _ of t.grpc.screenshot(req)) break;
        })(),
        (e) => code(e) === Code.InvalidArgument && ConnectError.from(e).rawMessage.startsWith(field),
      );
    }
  });

  it("after bad input nothing is held: the next click arrives with no buttons or modifiers down", async () => {
    await assert.rejects(t.grpc.action({ action: { case: "leftClick", value: { modifiers: "shift+bogus" } } }));
    await assert.rejects(t.grpc.action({ action: { case: "key", value: { text: "ctrl+alt+bogus" } } }));
    const res = await t.grpc.action({ action: { case: "cursorPosition", value: {} } });
    assert.ok(res.cursor);
    // QueryPointer's mask holds modifiers and buttons currently down.
    const ep = t.desktop.x11Endpoint!;
    const { TestWindows } = await import("./helpers/xwindow.js");
    const w = await TestWindows.open(ep.display, ep.cookie);
    await w.window(0, 0, 1920, 1080, 0, { record: true, focus: true });
    await t.grpc.action({ action: { case: "leftClick", value: { coordinate: { x: 5, y: 5 } } } });
    const evs = await w.waitFor((e) => e.some((x) => x.type === "ButtonPress"));
    assert.equal(evs.find((x) => x.type === "ButtonPress")!.state & 0xff, 0);
    w.close();
  });

  it("buf curl calls GetDisplay over gRPC (h2c) and Action over Connect (HTTP/1.1)", async () => {
    const buf = ["curl", "--schema", "proto", "-H", `Authorization: Bearer ${t.token}`];
    const get = await execa("node_modules/.bin/buf", [
      ...buf,
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      `${t.url}/desktop.v1.DesktopService/GetDisplay`,
    ]);
    assert.equal(JSON.parse(get.stdout).backend, "builtin");
    const act = await execa("node_modules/.bin/buf", [
      ...buf,
      "-d",
      JSON.stringify({ scaledSize: { width: 1280, height: 720 }, mouseMove: { coordinate: { x: 640, y: 360 } } }),
      `${t.url}/desktop.v1.DesktopService/Action`,
    ]);
    assert.deepEqual(JSON.parse(act.stdout), { output: "mouse_move action performed", cursor: { x: 640, y: 360 } });
    const denied = await execa("node_modules/.bin/buf", ["curl", "--schema", "proto", `${t.url}/desktop.v1.DesktopService/GetDisplay`], {
      reject: false,
    });
    assert.equal(denied.exitCode, Code.Unauthenticated << 3);
  });
});
