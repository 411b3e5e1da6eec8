/**
 * TLS: a self-signed certificate made with openssl, HTTP/2 (gRPC, bidi Vnc)
 * and HTTP/1.1 (Connect) on the same port chosen by ALPN, and `desktopd serve`
 * refusing a non-loopback address in cleartext.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Code, ConnectError } from "@connectrpc/connect";
import { execa } from "execa";
import { createDesktopClient } from "../src/client/client.js";
import { launchChromium } from "./helpers/browser.js";
import { stderrMatch } from "./helpers/process.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const code = (e: unknown) => ConnectError.from(e).code;

describe("TLS", () => {
  let dir: string;
  let cert: Buffer;
  let t: TestServer;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "desktopd-tls-"));
    // biome-ignore format: openssl's flag/value pairs
    await execa("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
      "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
    ]);
    cert = await readFile(join(dir, "cert.pem"));
    t = await startTestServer({ geometry: { width: 640, height: 480 }, tls: { cert, key: await readFile(join(dir, "key.pem")) } });
  });
  after(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves gRPC over HTTP/2 and Connect over HTTP/1.1 on one https port; the bidi Vnc stream works", async () => {
    assert.match(t.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const { nativeSize } = await t.grpc.getDisplay({});
    assert.deepEqual([nativeSize?.width, nativeSize?.height], [640, 480]);
    const moved = await t.connect.action({ action: { case: "mouseMove", value: { coordinate: { x: 33, y: 44 } } } });
    assert.deepEqual([moved.cursor?.x, moved.cursor?.y], [33, 44]);
    const abort = new AbortController();
    async function* nothing() {
      await new Promise((r) => abort.signal.addEventListener("abort", r));
    }
    for await (const m of t.grpc.vnc(nothing(), { signal: abort.signal })) {
      assert.match(Buffer.from(m.data).toString("latin1"), /^RFB 003\.00\d\n/);
      break;
    }
    abort.abort();
  });

  it("the live view works over https: the page over HTTP/2, the WebSocket over HTTP/1.1 (wss)", async () => {
    const browser = await launchChromium({ ignoreHTTPSErrors: true });
    try {
      const page = await browser.page();
      const res = await page.goto(`${t.url}/?token=${encodeURIComponent(t.token)}`);
      assert.equal(res?.status(), 200);
      const protocol = await page.evaluate(
        () => (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming).nextHopProtocol,
      );
      assert.equal(protocol, "h2");
      await page.waitForSelector('body[data-state="connected"]', { timeout: 15_000 });
    } finally {
      await browser.close();
    }
  });

  it("a client that does not trust the certificate, or speaks cleartext, gets nowhere", async () => {
    const untrusting = createDesktopClient({ baseUrl: t.url, token: t.token });
    await assert.rejects(untrusting.getDisplay({}), (e) => code(e) === Code.Unavailable || code(e) === Code.Internal);
    const cleartext = createDesktopClient({ baseUrl: t.url.replace("https:", "http:"), token: t.token });
    await assert.rejects(cleartext.getDisplay({}, { timeoutMs: 3000 }));
  });

  it("buf curl trusts it with --cacert and uses reflection over TLS", async () => {
    const r = await execa("node_modules/.bin/buf", [
      "curl",
      "--cacert",
      join(dir, "cert.pem"),
      "-H",
      `Authorization: Bearer ${t.token}`,
      "--reflect-header",
      "*",
      `${t.url}/desktop.v1.DesktopService/GetDisplay`,
    ]);
    assert.equal(JSON.parse(r.stdout).backend, "builtin");
  });

  it("`desktopd serve` refuses a non-loopback address in cleartext, and serves it with --tls-cert/--tls-key", async () => {
    const env = { DESKTOPD_TOKEN: "a-test-token-of-enough-length", DESKTOPD_RUNTIME_DIR: join(dir, "rt"), DESKTOPD_LOG_LEVEL: "error" };
    const refused = await execa("node", ["--import", "tsx", MAIN, "serve", "--listen", "0.0.0.0:0"], {
      env,
      reject: false,
      timeout: 20_000,
    });
    assert.equal(refused.exitCode, 2, "a usage mistake");
    assert.match(refused.stderr, /refusing a non-loopback address without TLS/);

    const serve = execa(
      "node",
      [
        "--import",
        "tsx",
        MAIN,
        "serve",
        "--listen",
        "0.0.0.0:0",
        "--geometry",
        "320x240",
        "--tls-cert",
        join(dir, "cert.pem"),
        "--tls-key",
        join(dir, "key.pem"),
      ],
      { env, reject: false },
    );
    try {
      // The wildcard address is shown as loopback, which reaches it.
      const [, port] = await stderrMatch(serve, serve, /serving on https:\/\/127\.0\.0\.1:(\d+) \(listening on https:\/\/0\.0\.0\.0:\1\)/);
      const client = createDesktopClient({ baseUrl: `https://127.0.0.1:${port}`, token: env.DESKTOPD_TOKEN, ca: cert });
      const { nativeSize } = await client.getDisplay({});
      assert.deepEqual([nativeSize?.width, nativeSize?.height], [320, 240]);
    } finally {
      serve.kill("SIGTERM");
      assert.equal((await serve).exitCode, 0);
    }
  });
});
