/**
 * The browser live view in real headless Chromium (Debian's, driven by
 * playwright-core): desktopd serves the page and noVNC, the page connects
 * over the `/vnc` WebSocket and shows the real desktop scaled to the window,
 * its clicks reach the desktop unless view_only=1, it asks for a token when it
 * has none and reconnects when the connection drops.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { Duplex } from "node:stream";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import type { Page } from "playwright-core";
import { launchChromium, type TestBrowser } from "./helpers/browser.js";
import { isRed, rgbAt } from "./helpers/pixels.js";
import { eventually, quietFor, stderrMatch } from "./helpers/process.js";
import { useTestServer } from "./helpers/server.js";
import { TestWindows } from "./helpers/xwindow.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const RED = 0xff0000;
const WINDOW = { x: 200, y: 150, width: 400, height: 300 };

/** Waits for the page's connection state (body[data-state], src/web/viewer.js). */
const state = (page: Page, s: string) => page.waitForSelector(`body[data-state="${s}"]`, { timeout: 15_000 });

/** Maps a native desktop point to page coordinates through the canvas's on-screen box. */
async function toPage(page: Page, native: { width: number; height: number }, x: number, y: number) {
  const box = (await page.locator("#screen canvas").boundingBox())!;
  return { x: box.x + (x + 0.5) * (box.width / native.width), y: box.y + (y + 0.5) * (box.height / native.height), box };
}

/** RGB of the page's pixel at page coordinates, from a real screenshot of the page. */
const pixel = async (page: Page, x: number, y: number) => rgbAt(await page.screenshot(), Math.round(x), Math.round(y));

describe("browser live view (Chromium + noVNC)", () => {
  const native = { width: 1280, height: 720 };
  const t = useTestServer({ geometry: native });
  let w: TestWindows;
  let browser: TestBrowser;
  before(async () => {
    const { display, cookie } = t().x11();
    w = await TestWindows.open(display, cookie);
    await w.window(WINDOW.x, WINDOW.y, WINDOW.width, WINDOW.height, RED, { record: true });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    w?.close();
  });

  it("shows the desktop scaled to the window, the red window where it is, and takes the token out of the address bar", async () => {
    const page = await browser.page({ width: 800, height: 520 });
    await page.goto(`${t().url}/?token=${encodeURIComponent(t().token)}`);
    await state(page, "connected");
    assert.equal(new URL(page.url()).search, "", "token removed from the address bar");
    const { box } = await toPage(page, native, 0, 0);
    assert.ok(box.width <= 800 && box.height <= 520, `canvas fits the window: ${JSON.stringify(box)}`);
    assert.ok(box.width >= 790 || box.height >= 480, `canvas fills the window one way: ${JSON.stringify(box)}`);
    assert.ok(Math.abs(box.width / box.height - 16 / 9) < 0.02, "aspect ratio kept");
    const inside = await toPage(page, native, WINDOW.x + WINDOW.width / 2, WINDOW.y + WINDOW.height / 2);
    const outside = await toPage(page, native, WINDOW.x - 50, WINDOW.y - 50);
    await eventually(async () => (isRed(await pixel(page, inside.x, inside.y)) ? true : undefined), 10_000);
    assert.ok(!isRed(await pixel(page, outside.x, outside.y)), "no red outside the window");
    await page.close();
  });

  it("a click on the page clicks the desktop at that point", async () => {
    const page = await browser.page({ width: 800, height: 520 });
    await page.goto(`${t().url}/?token=${encodeURIComponent(t().token)}`);
    await state(page, "connected");
    w.clear();
    const target = { x: 500, y: 400 };
    const p = await toPage(page, native, target.x, target.y);
    await page.mouse.click(p.x, p.y);
    const evs = await w.waitFor((e) => e.some((x) => x.type === "ButtonRelease"), 5000);
    const press = evs.find((e) => e.type === "ButtonPress")!;
    assert.equal(press.detail, 1, "left button");
    assert.ok(Math.abs(press.rootX - target.x) <= 2 && Math.abs(press.rootY - target.y) <= 2, `pressed at ${press.rootX},${press.rootY}`);
    const pointer = await (await t().host.session()).cursorPosition();
    assert.ok(Math.abs(pointer.x - target.x) <= 2 && Math.abs(pointer.y - target.y) <= 2, `pointer at ${pointer.x},${pointer.y}`);
    await page.close();
  });

  it("view_only=1: the page says so, and its clicks and keys reach nothing", async () => {
    await (await t().host.session()).input.move({ x: 20, y: 20 });
    const page = await browser.page({ width: 800, height: 520 });
    await page.goto(`${t().url}/?token=${encodeURIComponent(t().token)}&view_only=1`);
    await state(page, "connected");
    assert.match((await page.textContent("#status"))!, /view only/i);
    assert.equal(new URL(page.url()).search, "?view_only=1", "view_only stays in the address bar");
    w.clear();
    const p = await toPage(page, native, 500, 400);
    await page.mouse.click(p.x, p.y);
    await page.keyboard.type("abc");
    await quietFor(1000);
    assert.deepEqual(
      w.events.map((e) => e.type),
      [],
      "no input reached the desktop",
    );
    assert.deepEqual(await (await t().host.session()).cursorPosition(), { x: 20, y: 20 });
    await page.close();
  });

  it("without a token it asks for one; a refused token says so; the right one connects", async () => {
    const page = await browser.page();
    await page.goto(`${t().url}/`);
    await state(page, "login");
    assert.ok(await page.isVisible("#login"));
    await page.fill("#token", "not-the-token-not-the-token");
    await page.click("#login button");
    await page.waitForSelector("#login-error:has-text('refused')");
    await page.fill("#token", t().token);
    await page.click("#login button");
    await state(page, "connected");
    assert.ok(!(await page.isVisible("#login")));
    await page.close();
  });

  it("reconnects, with backoff, when the connection drops", async () => {
    // Failure injection: keep the desktop's VNC sockets so the test can cut one.
    const driver = t().driver();
    const connectVnc = driver.connectVnc.bind(driver);
    const opened: Duplex[] = [];
    driver.connectVnc = async () => {
      const sock = await connectVnc();
      opened.push(sock);
      return sock;
    };
    try {
      const page = await browser.page();
      await page.goto(`${t().url}/?token=${encodeURIComponent(t().token)}`);
      await state(page, "connected");
      assert.equal(opened.length, 1);
      opened[0].destroy();
      await state(page, "reconnecting");
      assert.match((await page.textContent("#status"))!, /reconnecting in \d+ s/);
      await state(page, "connected");
      assert.equal(opened.length, 2, "one new VNC connection");
      await page.close();
    } finally {
      driver.connectVnc = connectVnc;
    }
  });

  it("`desktopd serve` on a terminal prints the live view URL, and that URL opens the desktop", async () => {
    const token = "printed-url-token-0123456789";
    // The token is printed only to a terminal: run serve on a pseudo-terminal
    // (Python's pty module; its exit status is serve's).
    const onPty = "import os, pty, sys; os._exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))";
    const argv = ["node", "--import", "tsx", MAIN, "serve", "--listen", "127.0.0.1:0", "--geometry", "320x240"];
    const serve = execa("python3", ["-c", onPty, ...argv], {
      env: { DESKTOPD_TOKEN: token, DESKTOPD_LOG_LEVEL: "error", DESKTOPD_BACKEND: "builtin" },
      reject: false,
      stdin: "ignore",
    });
    try {
      // On a terminal, stderr and stdout are one stream: Python's stdout.
      const [, url] = await stderrMatch({ stderr: serve.stdout }, serve, /live view.*\r?\n\s+(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/);
      assert.equal(new URL(url).searchParams.get("token"), token);
      const page = await browser.page();
      await page.goto(url);
      await state(page, "connected");
      await page.close();
    } finally {
      // pty.spawn starts serve in a session of its own: signal it, not Python.
      const children = readFileSync(`/proc/${serve.pid}/task/${serve.pid}/children`, "utf8").trim().split(/\s+/);
      for (const pid of children.filter(Boolean)) process.kill(Number(pid), "SIGTERM");
      assert.equal((await serve).exitCode, 0);
    }
  });

  it("`desktopd serve` into a log (no terminal) never prints the token; the link names where to read it", async () => {
    const token = "logged-url-token-0123456789";
    const serve = execa("node", ["--import", "tsx", MAIN, "serve", "--listen", "127.0.0.1:0", "--geometry", "320x240"], {
      env: { DESKTOPD_TOKEN: token, DESKTOPD_LOG_LEVEL: "info", DESKTOPD_BACKEND: "builtin" },
      reject: false,
    });
    let err = "";
    try {
      await new Promise<void>((resolve, reject) => {
        serve.stderr!.on("data", (b: Buffer) => {
          err += b.toString();
          if (/\/mcp\n/.test(err)) resolve();
        });
        void serve.then(() => reject(new Error(`serve exited: ${err}`)));
      });
      assert.match(err, /\?token=<the token: \$DESKTOPD_TOKEN>/);
    } finally {
      serve.kill("SIGTERM");
      const done = await serve;
      assert.equal(done.exitCode, 0);
      assert.ok(!`${done.stdout}${done.stderr}`.includes(token), "the token is in the output");
    }
  });
});
