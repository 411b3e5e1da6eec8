/**
 * A warm desktop through two tasks, on both backends: started unclaimed
 * with a bootstrap secret (every call refused but Claim), claimed by task A
 * (the secret refused from then on; of two Claims at once, one wins; a
 * second Claim allows A's web origin, whose pages then get CORS while other
 * origins get 403), used (an app, the clipboard, a file, the pointer, a
 * key remapped by an X client of its own), given back with Reset{unclaim},
 * claimed by task B with a reset: B finds no trace of A (window, clipboard,
 * files, pointer, keymap, A's origin), and A's token and the bootstrap
 * secret are both refused. Then `desktopd serve` itself: its log lines
 * carry the claim's label and never a token.
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Code, ConnectError } from "@connectrpc/connect";
import { execa } from "execa";
import { createDesktopClient } from "../src/client/client.js";
import type { SessionDriver } from "../src/desktop/session.js";
import { FileRoot } from "../src/files/file-root.js";
import { dirtyKeyboard, keyboardState, XK_a, XK_z } from "./helpers/keyboard.js";
import { eventually, stderrMatch } from "./helpers/process.js";
import { startPortableServer, startTestServer, type TestServer, type TestServerOptions } from "./helpers/server.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const code = (e: unknown) => ConnectError.from(e).code;
const secret = () => randomBytes(24).toString("base64url");
const TASK_ORIGIN = "https://task-a.example:8443";

/** A Connect call (GetDisplay) as a browser page of `origin` makes it: its status and the CORS answer. */
async function fromPage(url: string, token: string, origin: string): Promise<{ status: number; allowOrigin: string | null }> {
  const res = await fetch(`${url}/desktop.v1.DesktopService/GetDisplay`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, origin },
    body: "{}",
  });
  await res.arrayBuffer();
  return { status: res.status, allowOrigin: res.headers.get("access-control-allow-origin") };
}

const backends: { name: string; start: (o: TestServerOptions) => Promise<TestServer<SessionDriver>> }[] = [
  { name: "builtin", start: (o) => startTestServer(o) as Promise<TestServer<SessionDriver>> },
  { name: "portabledesktop (stand-in CLI)", start: (o) => startPortableServer(o) as Promise<TestServer<SessionDriver>> },
];

for (const backend of backends) {
  describe(`a warm desktop claimed by two tasks: ${backend.name}`, () => {
    let t: TestServer<SessionDriver>;
    let root: string;
    before(async () => {
      root = await mkdtemp(join(tmpdir(), "desktopd-claim-"));
      t = await backend.start({ geometry: { width: 800, height: 600 }, files: new FileRoot(root), resetFiles: true, bootstrap: secret() });
    });
    after(async () => {
      await t?.close();
      await rm(root, { recursive: true, force: true });
    });

    it("claim, use, give back, claim again: no trace of the first task; its token and the bootstrap secret refused", async () => {
      const pool = t.grpc; // carries the bootstrap secret
      await assert.rejects(pool.getDisplay({}), (e) => code(e) === Code.Unauthenticated && /not claimed yet/.test(String(e)));
      await assert.rejects(pool.claim({ token: "short", label: "x" }), (e) => code(e) === Code.InvalidArgument && /token/.test(String(e)));
      await assert.rejects(pool.claim({ token: secret(), label: "no spaces please" }), (e) => code(e) === Code.InvalidArgument);

      // Two Claims of one warm desktop at once: exactly one wins.
      const racers = [secret(), secret()];
      const raced = await Promise.allSettled(racers.map((token) => pool.claim({ token, label: "task-a" })));
      assert.deepEqual(raced.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
      let tokenA = racers[raced.findIndex((r) => r.status === "fulfilled")];
      let a = createDesktopClient({ baseUrl: t.url, token: tokenA });
      // A claims again to allow its web page's origin.
      await assert.rejects(
        a.claim({ token: secret(), label: "task-a", allowedOrigins: ["https://task-a.example/app"] }),
        (e) => code(e) === Code.InvalidArgument && /allowed_origins\[0\]/.test(String(e)),
      );
      tokenA = secret();
      await a.claim({ token: tokenA, label: "task-a", allowedOrigins: [TASK_ORIGIN] });
      a = createDesktopClient({ baseUrl: t.url, token: tokenA });
      assert.deepEqual(await fromPage(t.url, tokenA, TASK_ORIGIN), { status: 200, allowOrigin: TASK_ORIGIN });
      assert.equal((await fromPage(t.url, tokenA, "https://other.example")).status, 403);
      await assert.rejects(pool.getDisplay({}), (e) => code(e) === Code.Unauthenticated, "the bootstrap secret is refused once claimed");
      await assert.rejects(pool.claim({ token: secret(), label: "thief" }), (e) => code(e) === Code.Unauthenticated);
      const title = `task-a-${randomUUID().slice(0, 8)}`;
      await a.launchApplication({ argv: ["xterm", "-title", title, "-e", "sleep", "600"] });
      await eventually(async () => (await a.listWindows({})).windows.find((w) => w.title === title), 20_000);
      await a.setClipboard({ text: "task A's secret" });
      async function* upload() {
        yield { path: "a.txt", data: Buffer.from("task A\n") };
      }
      await a.uploadFile(upload());
      await a.action({ action: { case: "leftClick", value: { coordinate: { x: 31, y: 41 } } } });
      const outsider = await dirtyKeyboard(t);
      assert.equal((await keyboardState(t)).keysym, XK_z);

      await a.reset({ unclaim: true });
      await assert.rejects(a.getDisplay({}), (e) => code(e) === Code.Unauthenticated, "A's token is refused once given back");

      const tokenB = secret();
      const claimed = await pool.claim({ token: tokenB, label: "task-b", reset: true });
      assert.equal(
        claimed.reset?.steps.find((s) => s.name === "files")?.detail,
        "0 entries removed",
        "emptied by the unclaiming Reset already",
      );
      const b = createDesktopClient({ baseUrl: t.url, token: tokenB });
      assert.equal((await fromPage(t.url, tokenB, TASK_ORIGIN)).status, 403, "A's origin went with A's claim");
      assert.equal(
        (await b.listWindows({})).windows.find((w) => w.title === title),
        undefined,
      );
      assert.equal((await b.getClipboard({})).text, "");
      assert.deepEqual(await readdir(root), []);
      const cursor = await b.action({ action: { case: "cursorPosition", value: {} } });
      assert.notDeepEqual([cursor.cursor?.x, cursor.cursor?.y], [31, 41]);
      assert.equal((await keyboardState(t)).keysym, XK_a, "the keymap is fresh");
      outsider.close();
      await assert.rejects(a.getDisplay({}), (e) => code(e) === Code.Unauthenticated, "A's token");
      await assert.rejects(pool.getDisplay({}), (e) => code(e) === Code.Unauthenticated, "the bootstrap secret");
      await assert.rejects(pool.claim({ token: secret(), label: "late" }), (e) => code(e) === Code.Unauthenticated);

      // B may change its own token; the old one then stops working.
      const tokenB2 = secret();
      await b.claim({ token: tokenB2, label: "task-b" });
      await assert.rejects(b.getDisplay({}), (e) => code(e) === Code.Unauthenticated);
      await createDesktopClient({ baseUrl: t.url, token: tokenB2 }).getDisplay({});
    });
  });
}

describe("desktopd serve with a bootstrap secret", () => {
  it("starts unclaimed; after a Claim every log line carries its label, and no line holds a token or the secret", async () => {
    const bootstrap = secret();
    const token = secret();
    const serve = execa("node", ["--import", "tsx", MAIN, "serve", "--listen", "127.0.0.1:0", "--geometry", "320x240"], {
      env: { DESKTOPD_BOOTSTRAP_SECRET: bootstrap, DESKTOPD_LOG_LEVEL: "info", DESKTOPD_BACKEND: "builtin" },
      reject: false,
    });
    try {
      const [, url] = await stderrMatch(serve, serve, /serving on (http:\/\/127\.0\.0\.1:\d+), unclaimed/);
      await createDesktopClient({ baseUrl: url, token: bootstrap }).claim({ token, label: "eval-42" });
      // A call as the claimed task (a desktop that failed to start on a loaded machine is started again by the next call).
      const task = createDesktopClient({ baseUrl: url, token });
      await eventually(() => task.getDisplay({}), 60_000);
    } finally {
      serve.kill("SIGTERM");
    }
    const r = await serve;
    assert.equal(r.exitCode, 0, r.stderr);
    const lines = r.stderr.split("\n").filter((l) => l.startsWith("{"));
    const claimedAt = lines.findIndex((l) => /"msg":"desktop claimed"/.test(l));
    assert.ok(claimedAt >= 0, r.stderr);
    const after = lines.slice(claimedAt);
    assert.ok(after.length >= 3 && after.every((l) => l.includes('"claim":"eval-42"')), after.join("\n"));
    assert.ok(!r.stderr.includes(token) && !r.stderr.includes(bootstrap), "a secret in the log");
  });
});
