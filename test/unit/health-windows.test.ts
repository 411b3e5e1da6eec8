/**
 * The API layer over a FakeDesktop on a real server: health follows the
 * desktop's stall (NOT_SERVING while it does not answer, SERVING again after),
 * and ListWindows maps window geometry to the declared space asked for.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/health/v1/health_pb.js";
import { createDesktopClient } from "../../src/client/client.js";
import { useFakeServer } from "../helpers/fake-server.js";
import { eventually } from "../helpers/process.js";

describe("health and windows through the API layer", () => {
  const t = useFakeServer();
  const health = () =>
    createClient(Health, createGrpcTransport({ baseUrl: t().url }))
      .check({})
      .then((r) => r.status);

  it("health is NOT_SERVING while the desktop is stalled and SERVING once it answers again", async () => {
    await eventually(async () => ((await health()) === Status.SERVING ? true : undefined));
    t().desktop.stalledReason = "Xvnc (X display :9) did not answer within 5000 ms";
    await eventually(async () => ((await health()) === Status.NOT_SERVING ? true : undefined));
    t().desktop.stalledReason = undefined;
    await eventually(async () => ((await health()) === Status.SERVING ? true : undefined));
  });

  it("ListWindows gives native geometry, or declared geometry when scaled_size is set", async () => {
    const win = { id: 7, title: "notes", className: "XTerm", pid: 42, focused: true, minimized: false };
    t().desktop.windowList = [{ ...win, geometry: { x: 100, y: 60, width: 320, height: 240 } }];
    const client = createDesktopClient({ baseUrl: t().url, token: t().token });
    const native = (await client.listWindows({})).windows[0];
    assert.deepEqual([native.id, native.title, native.className, native.pid, native.focused], [7, "notes", "XTerm", 42, true]);
    assert.deepEqual({ ...native.geometry, $typeName: undefined }, { $typeName: undefined, x: 100, y: 60, width: 320, height: 240 });
    // The fake's screen is 640x480: half of it is 320x240.
    const half = (await client.listWindows({ scaledSize: { width: 320, height: 240 } })).windows[0].geometry;
    assert.deepEqual([half?.x, half?.y, half?.width, half?.height], [50, 30, 160, 120]);
  });
});
