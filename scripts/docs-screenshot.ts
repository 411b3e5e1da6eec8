/**
 * Makes docs/live-view.png, the picture of the browser live view in docs/clients.md:
 * a real desktopd (built-in backend) with an xterm that ran a command,
 * opened in Debian's headless Chromium. Run: npm run docs:screenshot
 */
import { fileURLToPath } from "node:url";
import { sleep } from "../src/os/sleep.js";
import { launchChromium } from "../test/helpers/browser.js";
import { startTestServer } from "../test/helpers/server.js";

const OUT = fileURLToPath(new URL("../docs/live-view.png", import.meta.url));

const server = await startTestServer({ geometry: { width: 1280, height: 800 }, open: [["xterm", "-geometry", "90x24+60+50"]] });
const { url, token, grpc: client } = server;
const browser = await launchChromium();
try {
  await sleep(1500); // xterm mapped
  await client.action({ action: { case: "leftClick", value: { coordinate: { x: 400, y: 250 } } } });
  await client.action({ action: { case: "type", value: { text: "echo hello from desktopd; uname -sm\n" } } });
  const page = await browser.page({ width: 1100, height: 720 });
  await page.goto(`${url}/?token=${encodeURIComponent(token)}`);
  await page.waitForSelector('body[data-state="connected"]', { timeout: 15_000 });
  await sleep(1500); // first full frame drawn
  await page.screenshot({ path: OUT });
  process.stderr.write(`wrote ${OUT}\n`);
} finally {
  await browser.close();
  await server.close();
}
