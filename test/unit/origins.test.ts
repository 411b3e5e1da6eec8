/**
 * The origin policy on the wire: requests without an Origin and from the
 * service's own origin are served; an allowed other origin gets CORS (a
 * preflight answer naming Authorization, exposed status headers); any other
 * origin gets 403 on RPCs and on the /vnc WebSocket. Real server, raw HTTP.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import WebSocket from "ws";
import { parseOrigin } from "../../src/server/transport/origins.js";
import { useFakeServer } from "../helpers/fake-server.js";

const APP = "https://app.example:8443";

describe("origins", () => {
  const t = useFakeServer({ allowOrigins: [APP] });
  const rpc = (headers: Record<string, string>, method = "POST") =>
    fetch(`${t().url}/desktop.v1.DesktopService/GetDisplay`, {
      method,
      headers: { "content-type": "application/json", authorization: `Bearer ${t().token}`, ...headers },
      body: method === "POST" ? "{}" : undefined,
    });
  /** The HTTP status a /vnc upgrade with `origin` gets (101 when it opens). */
  const upgrade = (origin: string) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(`${t().url.replace("http", "ws")}/vnc?token=${t().token}`, { origin });
      ws.on("open", () => {
        ws.close();
        resolve(101);
      });
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("error", () => undefined);
    });

  it("no Origin (a program) and the own origin (the live view) are served without CORS headers", async () => {
    for (const headers of [{}, { origin: t().url }] as Record<string, string>[]) {
      const res = await rpc(headers);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("access-control-allow-origin"), null);
    }
  });

  it("an allowed origin gets a preflight answer that allows Authorization, and responses it may read", async () => {
    const pre = await rpc(
      { origin: APP, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
      "OPTIONS",
    );
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), APP);
    assert.match(pre.headers.get("access-control-allow-headers") ?? "", /Authorization/);
    assert.match(pre.headers.get("access-control-allow-methods") ?? "", /POST/);
    const res = await rpc({ origin: APP });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), APP);
    assert.match(res.headers.get("access-control-expose-headers") ?? "", /Grpc-Status/i);
  });

  it("any other origin gets 403 on RPCs (preflight too) and nothing reaches the desktop", async () => {
    const calls = t().desktop.calls.length;
    const res = await rpc({ origin: "https://evil.example" });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /origin https:\/\/evil\.example is not allowed/);
    assert.equal((await rpc({ origin: "https://evil.example", "access-control-request-method": "POST" }, "OPTIONS")).status, 403);
    assert.equal(t().desktop.calls.length, calls);
  });

  it("the /vnc WebSocket opens for the own and allowed origins, and is refused 403 for others", async () => {
    assert.equal(await upgrade(t().url), 101);
    assert.equal(await upgrade(APP), 101);
    assert.equal(await upgrade("https://evil.example"), 403);
  });

  it("--allow-origin takes an origin only: scheme, host, optional port", () => {
    assert.equal(parseOrigin("https://app.example:8443/", "--allow-origin"), APP);
    for (const bad of ["app.example", "https://app.example/path", "ftp://x", "*"]) {
      assert.throws(() => parseOrigin(bad, "--allow-origin"), /--allow-origin: expected an origin/);
    }
  });
});
