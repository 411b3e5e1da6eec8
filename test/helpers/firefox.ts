/**
 * A real browser on the desktop under test: Debian's Firefox ESR in kiosk
 * mode with a fresh profile, showing a form served by a local HTTP server.
 * The page reports when it is ready and where its fields and words are (CSS
 * pixels, which are native pixels in kiosk mode at scale 1), and the server
 * records what the form submits: specs drive Firefox through the RPC API only
 * and read the result from the server, with no sleeps.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import type { Rect } from "../../src/desktop/geometry.js";

/** Field positions the page reports, native pixels; `words` are the centres of words in field B. */
export interface FormLayout {
  a: Rect;
  b: Rect;
  c: Rect;
  words: Record<string, { x: number; y: number }>;
}

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>form</title>
<style>
  body { margin: 40px; font: 20px monospace; background: #fff; }
  input { font: 20px monospace; width: 900px; padding: 4px; margin: 12px 0; display: block; }
</style></head>
<body>
<form action="/submit" method="get" accept-charset="utf-8">
  <input id="a" name="a" autocomplete="off">
  <input id="b" name="b" autocomplete="off" value="alpha beta gamma">
  <input id="c" name="c" autocomplete="off">
  <button type="submit">send</button>
</form>
<script>
  const rect = (el) => { const r = el.getBoundingClientRect(); return { x: Math.round(r.x + window.mozInnerScreenX), y: Math.round(r.y + window.mozInnerScreenY), width: Math.round(r.width), height: Math.round(r.height) }; };
  // What Firefox did, in its own order: focus changes and field values.
  const report = (e) => fetch("/event", { method: "POST", body: JSON.stringify({ t: Math.round(performance.now()), type: e.type, id: e.target.id, value: e.target.value }) });
  for (const type of ["focusin", "input", "mousedown", "keydown"]) addEventListener(type, report, true);
  addEventListener("load", () => {
    const b = document.getElementById("b");
    const style = getComputedStyle(b);
    const ctx = document.createElement("canvas").getContext("2d");
    ctx.font = style.font;
    const box = rect(b);
    const left = box.x + parseFloat(style.paddingLeft) + parseFloat(style.borderLeftWidth);
    const words = {};
    let at = 0;
    for (const w of b.value.split(" ")) {
      const start = ctx.measureText(b.value.slice(0, b.value.indexOf(w, at))).width;
      words[w] = { x: Math.round(left + start + ctx.measureText(w).width / 2), y: Math.round(box.y + box.height / 2) };
      at = b.value.indexOf(w, at) + w.length;
    }
    const layout = { a: rect(document.getElementById("a")), b: box, c: rect(document.getElementById("c")), words };
    // Reported once the first frame is on screen.
    requestAnimationFrame(() => requestAnimationFrame(() => fetch("/ready", { method: "POST", body: JSON.stringify(layout) })));
  });
</script>
</body></html>`;

/** Something the page saw, in the order Firefox handled it: page time (ms), event type, field id, field value. */
export interface PageEvent {
  t: number;
  type: string;
  id: string;
  value?: string;
}

export interface FormServer {
  url: string;
  /** What the page reported so far (focus changes, input, mouse and key downs), to explain a failure. */
  events: PageEvent[];
  /** Resolves with the layout once the page has loaded and drawn. */
  ready(): Promise<FormLayout>;
  /** Resolves with the fields of the next submission. */
  submitted(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/** The form page and what it reports, on an ephemeral loopback port. */
export async function startFormServer(): Promise<FormServer> {
  const waiting = { ready: [] as ((l: FormLayout) => void)[], submit: [] as ((v: Record<string, string>) => void)[] };
  const queued = { ready: [] as FormLayout[], submit: [] as Record<string, string>[] };
  const deliver = <T>(value: T, waiters: ((v: T) => void)[], queue: T[]) => {
    const w = waiters.shift();
    if (w) w(value);
    else queue.push(value);
  };
  const take = <T>(waiters: ((v: T) => void)[], queue: T[]) =>
    new Promise<T>((resolve) => {
      const v = queue.shift();
      if (v !== undefined) resolve(v);
      else waiters.push(resolve);
    });
  const events: PageEvent[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/ready" && req.method === "POST") {
      let body = "";
      req.setEncoding("utf8").on("data", (c: string) => (body += c));
      req.on("end", () => {
        deliver(JSON.parse(body) as FormLayout, waiting.ready, queued.ready);
        res.writeHead(204).end();
      });
      return;
    }
    if (url.pathname === "/event" && req.method === "POST") {
      let body = "";
      req.setEncoding("utf8").on("data", (c: string) => (body += c));
      req.on("end", () => {
        events.push(JSON.parse(body));
        res.writeHead(204).end();
      });
      return;
    }
    if (url.pathname === "/submit") {
      deliver(Object.fromEntries(url.searchParams), waiting.submit, queued.submit);
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end("thanks");
      return;
    }
    if (url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    events,
    ready: () => take(waiting.ready, queued.ready),
    submitted: () => take(waiting.submit, queued.submit),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Preferences that keep a fresh profile quiet: no first-run pages, updates, telemetry or default-browser prompt. */
const PREFS = {
  "browser.shell.checkDefaultBrowser": false,
  "browser.aboutwelcome.enabled": false,
  "browser.startup.homepage_override.mstone": "ignore",
  "datareporting.policy.dataSubmissionEnabled": false,
  "toolkit.telemetry.reportingpolicy.firstRun": false,
  "app.update.disabledForTesting": true,
  "browser.translations.automaticallyPopup": false,
  "extensions.autoDisableScopes": 15,
  "layout.css.devPixelsPerPx": "1.0",
  "ui.caretBlinkTime": 500,
};

export interface RunningFirefox {
  /** Stops Firefox and removes its profile. */
  close(): Promise<void>;
}

/** A new, quiet Firefox profile directory (PREFS in its user.js); the caller removes it. */
export async function firefoxProfile(): Promise<string> {
  const profile = await mkdtemp(join(tmpdir(), "desktopd-firefox-"));
  await writeFile(
    join(profile, "user.js"),
    Object.entries(PREFS)
      .map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`)
      .join("\n"),
  );
  return profile;
}

/** Firefox ESR in kiosk mode on `display`, showing `url`, with a new profile. */
export async function launchFirefox(url: string, display: { display: string; xauthority?: string }): Promise<RunningFirefox> {
  const profile = await firefoxProfile();
  const env = {
    ...process.env,
    DISPLAY: display.display,
    MOZ_CRASHREPORTER_DISABLE: "1",
    ...(display.xauthority ? { XAUTHORITY: display.xauthority } : {}),
  };
  const proc = execa("firefox-esr", ["--kiosk", "--no-remote", "--new-instance", "--profile", profile, url], {
    env,
    reject: false,
    detached: true,
    stdio: "ignore",
  });
  return {
    close: async () => {
      if (proc.pid) {
        try {
          process.kill(-proc.pid, "SIGKILL");
        } catch {
          // gone already
        }
      }
      await proc;
      await rm(profile, { recursive: true, force: true });
    },
  };
}
