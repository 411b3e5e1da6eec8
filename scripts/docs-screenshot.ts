/**
 * Makes docs/live-view.png, the README's picture of the browser live view:
 * a real desktopd (built-in backend) with an xterm that ran a command,
 * opened in Debian's headless Chromium. Run: npm run docs:screenshot
 */
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { createDesktopClient } from "../src/client/client.js";
import { BuiltinDesktop } from "../src/desktop/builtin/builtin.js";
import { startServer } from "../src/server/server.js";
import { generateToken } from "../src/server/transport/auth.js";
import { launchChromium } from "../test/helpers/browser.js";

const OUT = fileURLToPath(new URL("../docs/live-view.png", import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const logger = pino({ level: "warn" });
const desktop = new BuiltinDesktop({ geometry: { width: 1280, height: 800 }, open: [["xterm", "-geometry", "90x24+60+50"]], logger });
const token = generateToken();
const server = await startServer({ desktop, token, logger, port: 0 });
const browser = await launchChromium();
try {
  await desktop.start();
  await sleep(1500); // xterm mapped
  const client = createDesktopClient({ baseUrl: server.url, token });
  await client.action({ action: { case: "leftClick", value: { coordinate: { x: 400, y: 250 } } } });
  await client.action({ action: { case: "type", value: { text: "echo hello from desktopd; uname -sm\n" } } });
  const page = await browser.page({ width: 1100, height: 720 });
  await page.goto(`${server.url}/?token=${encodeURIComponent(token)}`);
  await page.waitForSelector('body[data-state="connected"]', { timeout: 15_000 });
  await sleep(1500); // first full frame drawn
  await page.screenshot({ path: OUT });
  process.stderr.write(`wrote ${OUT}\n`);
} finally {
  await browser.close();
  await server.close();
}
