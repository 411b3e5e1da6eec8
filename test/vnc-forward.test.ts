/**
 * Stock VNC viewers through `desktopd vnc-forward`: Debian's vncsnapshot
 * (two at once) takes JPEGs of the real desktop through the forwarded port,
 * and each connection is its own authenticated Vnc call.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import sharp from "sharp";
import { isRed, rgbAt } from "./helpers/pixels.js";
import { stderrMatch } from "./helpers/process.js";
import { useTestServer } from "./helpers/server.js";
import { TestWindows } from "./helpers/xwindow.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
// vncsnapshot 1.2a's Tight decoder stalls on TigerVNC ("Zero size rect - ignoring",
// also straight to Xvnc, without desktopd): ask for the other encodings.
const VNCSNAPSHOT_ENCODINGS = ["-encodings", "copyrect zlib hextile raw"];

/** A port nothing listens on (bound, then closed). */
async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, "127.0.0.1");
  await once(s, "listening");
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe("desktopd vnc-forward", () => {
  const t = useTestServer({ geometry: { width: 640, height: 480 } });
  let w: TestWindows;
  let dir: string;
  before(async () => {
    const { display, cookie } = t().x11();
    w = await TestWindows.open(display, cookie);
    await w.window(100, 100, 200, 150, 0xff0000);
    dir = await mkdtemp(join(tmpdir(), "desktopd-vncfwd-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Starts the forwarder as a real process; resolves with its port. */
  async function forwarder(env: Record<string, string>) {
    const proc = execa("node", ["--import", "tsx", MAIN, "vnc-forward", "--listen", "127.0.0.1:0"], {
      env: { DESKTOPD_LOG_LEVEL: "error", ...env },
      reject: false,
    });
    const [, port] = await stderrMatch(proc, proc, /VNC on 127\.0\.0\.1:(\d+)/);
    return { proc, port: Number(port) };
  }

  it("two vncsnapshot viewers at once each get a JPEG of the desktop, the red window where it is", async () => {
    const { proc, port } = await forwarder({ DESKTOPD_URL: t().url, DESKTOPD_TOKEN: t().token });
    try {
      const shots = [join(dir, "a.jpg"), join(dir, "b.jpg")];
      await Promise.all(
        shots.map((file) => execa("vncsnapshot", ["-quiet", ...VNCSNAPSHOT_ENCODINGS, `127.0.0.1::${port}`, file], { timeout: 30_000 })),
      );
      for (const file of shots) {
        const { width, height } = await sharp(file).metadata();
        assert.deepEqual([width, height], [640, 480]);
        const inside = await rgbAt(file, 200, 175);
        assert.ok(isRed(inside), `red inside the window, got ${inside}`);
      }
    } finally {
      proc.kill("SIGTERM");
      await proc;
    }
  });

  it("checks the URL and token at start: a wrong token, a closed port, a server that is not desktopd or a URL without a scheme ends it with what to fix", async () => {
    const server = http.createServer((_req, res) => res.end("not desktopd"));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const other = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const closed = await freePort();
    try {
      const cases: [Record<string, string>, RegExp][] = [
        [{ DESKTOPD_URL: t().url, DESKTOPD_TOKEN: "wrong-token-wrong-token" }, /refused the token.*--token/],
        [{ DESKTOPD_URL: `http://127.0.0.1:${closed}`, DESKTOPD_TOKEN: t().token }, /nothing answers as desktopd at .*--url/],
        [{ DESKTOPD_URL: other, DESKTOPD_TOKEN: t().token }, /does not answer as desktopd.*--url/],
        [{ DESKTOPD_URL: t().url.replace("http://", ""), DESKTOPD_TOKEN: t().token }, /DESKTOPD_URL: .* is not a URL; give the scheme/],
      ];
      for (const [env, why] of cases) {
        const r = await execa("node", ["--import", "tsx", MAIN, "vnc-forward", "--listen", "127.0.0.1:0"], {
          env: { DESKTOPD_LOG_LEVEL: "error", ...env },
          reject: false,
          timeout: 30_000,
        });
        assert.notEqual(r.exitCode, 0, r.stderr);
        assert.match(r.stderr, why);
        assert.doesNotMatch(r.stderr, /VNC on/, "it never listened");
      }
    } finally {
      server.close();
    }
  });
});
