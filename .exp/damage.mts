import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { pino } from "pino";
import x11 from "x11";
import { BuiltinDesktop } from "/work/main/src/desktop/builtin/builtin.js";
import { parseCombo } from "/work/main/src/desktop/keys.js";

const logger = pino({ level: "warn" });
const d = new BuiltinDesktop({ geometry: { width: 1280, height: 720 }, logger });
await d.start();
const ep = d.x11Endpoint!;
const t0 = performance.now();
const log: string[] = [];
const dpy: any = await new Promise((res, rej) =>
  x11.createClient({ display: ep.display, auth: { name: "MIT-MAGIC-COOKIE-1", data: ep.cookie } }, (e: any, v: any) =>
    e ? rej(e) : res(v),
  ),
);
const X = dpy.client;
const root = dpy.screen[0].root;
const damage: any = await new Promise((res, rej) => (X as any).require("damage", (e: any, v: any) => (e ? rej(e) : res(v))));
const id = X.AllocID();
damage.Create(id, root, damage.ReportLevel.DeltaRectangles);
let pending = false;
X.on("event", (ev: any) => {
  if (ev.name !== "DamageNotify") return;
  log.push(`${(performance.now() - t0).toFixed(0)}ms ${ev.area.x},${ev.area.y} ${ev.area.w}x${ev.area.h}=${ev.area.w * ev.area.h}`);
  if (!pending) {
    pending = true;
    setImmediate(() => {
      pending = false;
      damage.Subtract(id, 0, 0);
    });
  }
});
const server = createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  res.end(
    `<!doctype html><html><body style="margin:40px;font:20px sans-serif"><form><input id=a name=a autofocus style="font-size:20px"><br><input id=b name=b style="font-size:20px"></form></body></html>`,
  );
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const port = (server.address() as any).port;
const profile = mkdtempSync(join(tmpdir(), "ffp-"));
const mark = (s: string) => log.push(`--- ${(performance.now() - t0).toFixed(0)}ms ${s}`);
mark("firefox start");
const ff = execa("firefox-esr", ["--kiosk", "--no-remote", "--profile", profile, `http://127.0.0.1:${port}/`], {
  env: { ...process.env, DISPLAY: ep.display, XAUTHORITY: ep.xauthority, MOZ_CRASHREPORTER_DISABLE: "1" },
  reject: false,
});
await new Promise((r) => setTimeout(r, 12000));
mark("idle 3s (caret blink?)");
await new Promise((r) => setTimeout(r, 3000));
mark("click field a");
await d.click("left", 1, { x: 100, y: 60 });
await new Promise((r) => setTimeout(r, 1500));
mark("type abc");
await d.type("abc");
await new Promise((r) => setTimeout(r, 1500));
mark("type unicode");
await d.type("héllo ✓ 日本");
await new Promise((r) => setTimeout(r, 1500));
mark("done");
console.log(log.filter((l, i) => l.startsWith("---") || true).join("\n"));
ff.kill();
server.close();
await d.close();
process.exit(0);
