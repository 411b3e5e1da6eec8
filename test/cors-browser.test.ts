/**
 * A web front-end on another origin calls the API from real Chromium with
 * @connectrpc/connect-web (Connect and gRPC-Web): it works when its origin is
 * allowed (`--allow-origin`, CORS), and the browser is refused when it is not.
 * Two local origins: a page server on one port, desktopd (with a FakeDesktop:
 * this is about the browser and the wire) on another.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Page } from "playwright-core";
import { launchChromium, type TestBrowser } from "./helpers/browser.js";
import { type FakeServer, startFakeServer } from "./helpers/fake-server.js";

const ENTRY = fileURLToPath(new URL("./fixtures/cors-page.ts", import.meta.url));

describe("a page on another origin calling the API from Chromium", () => {
  let pages: http.Server;
  let pageOrigin: string;
  let allowing: FakeServer & { close(): Promise<void> };
  let refusing: FakeServer & { close(): Promise<void> };
  let browser: TestBrowser;
  let page: Page;

  before(async () => {
    const bundle = (
      await build({ entryPoints: [ENTRY], bundle: true, write: false, format: "esm", platform: "browser", logLevel: "silent" })
    ).outputFiles[0].text;
    pages = http.createServer((req, res) => {
      if (req.url === "/app.js") res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
      else res.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><script type="module" src="/app.js"></script>');
    });
    pages.listen(0, "127.0.0.1");
    await once(pages, "listening");
    // "localhost" and "127.0.0.1" are different origins for the browser.
    pageOrigin = `http://localhost:${(pages.address() as AddressInfo).port}`;
    allowing = await startFakeServer({ allowOrigins: [pageOrigin] });
    refusing = await startFakeServer();
    browser = await launchChromium();
    page = await browser.page();
    await page.goto(`${pageOrigin}/`);
    await page.waitForFunction(() => "moveTo" in window);
  });
  after(async () => {
    await browser?.close();
    await allowing?.close();
    await refusing?.close();
    pages?.close();
  });

  const moveTo = (s: FakeServer, protocol: "connect" | "grpc-web", x: number, y: number) =>
    page.evaluate(
      ([url, token, p, px, py]) => (window as unknown as { moveTo(...a: unknown[]): Promise<unknown> }).moveTo(url, token, p, px, py),
      [s.url, s.token, protocol, x, y] as const,
    );

  for (const protocol of ["connect", "grpc-web"] as const) {
    it(`${protocol}: allowed origin, Action runs and the page reads the response`, async () => {
      assert.deepEqual(await moveTo(allowing, protocol, 120, 80), { cursor: { x: 120, y: 80 } });
      assert.deepEqual(allowing.desktop.pointer, { x: 120, y: 80 });
    });

    it(`${protocol}: origin not allowed, the browser gets no answer and nothing reaches the desktop`, async () => {
      const before = refusing.desktop.calls.length;
      const out = (await moveTo(refusing, protocol, 300, 200)) as { error?: string };
      assert.ok(out.error, JSON.stringify(out));
      assert.deepEqual(
        refusing.desktop.argsOf("move").filter(([p]) => (p as { x: number }).x === 300),
        [],
      );
      assert.ok(refusing.desktop.calls.length >= before);
    });
  }
});
