/**
 * The service as a package: `npm pack` at the repository root (prepack builds
 * it), the tarball installed into a new project outside the checkout, and
 * `npx desktopd serve` run there by that name, with no checkout tool on PATH:
 * it serves the API and the live view page, and Ctrl-C (SIGINT to the
 * terminal's process group) stops all of it.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { createDesktopClient } from "../../src/client/client.js";
import { eventually, stderrMatch, until } from "../helpers/process.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TOKEN = "service-package-spec-token-0123456789";

function groupAlive(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch {
    return false;
  }
}

describe("the desktopd package", { timeout: 300_000 }, () => {
  let project: string;
  let files: string[];
  before(async () => {
    project = await mkdtemp(join(tmpdir(), "desktopd-service-project-"));
    const packed = await execa("npm", ["pack", "--pack-destination", project, "--json"], { cwd: ROOT });
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    files = info!.files.map((f) => f.path);
    await writeFile(join(project, "package.json"), JSON.stringify({ name: "desk", private: true }));
    await execa("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", join(project, info!.filename)], { cwd: project });
  });
  after(async () => {
    await rm(project, { recursive: true, force: true });
  });

  it("holds the built service, the live view page and the proto; no tests, benchmarks or sources", () => {
    for (const f of ["dist/src/cli/main.js", "dist/gen/desktop/v1/desktop_pb.js", "src/web/index.html", "proto/desktop/v1/desktop.proto"]) {
      assert.ok(files.includes(f), `${f} is in the tarball`);
    }
    const stray = files.filter((f) => /^(dist\/)?(test|bench|scripts)\//.test(f) || f.endsWith(".ts") || f.endsWith(".map"));
    assert.deepEqual(stray, []);
  });

  it("`npx desktopd serve` runs from the installed tarball: the API answers, the live view page is served", async () => {
    // PATH: node and the system's directories; nothing of the checkout.
    const PATH = [dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(":");
    const env = { PATH, HOME: project, DESKTOPD_TOKEN: TOKEN, DESKTOPD_LOG_LEVEL: "warn" };
    // Its own process group, as a terminal's foreground job.
    const proc = execa("npx", ["--no-install", "desktopd", "serve", "--listen", "127.0.0.1:0", "--geometry", "320x240"], {
      cwd: project,
      env,
      extendEnv: false,
      reject: false,
      detached: true,
    });
    const group = proc.pid!;
    try {
      const [url] = await stderrMatch(proc, proc, /http:\/\/127\.0\.0\.1:\d+/);
      const client = createDesktopClient({ baseUrl: url, token: TOKEN });
      // A desktop that failed to start on a loaded machine is started again by the next call.
      const display = await eventually(() => client.getDisplay({}), 60_000);
      assert.deepEqual([display.nativeSize?.width, display.nativeSize?.height], [320, 240]);
      const page = await fetch(`${url}/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type") ?? "", /text\/html/);
      assert.equal((await fetch(`${url}/novnc/core/rfb.js`)).status, 200, "noVNC is served from the installed dependency");
      const installed = JSON.parse(await readFile(join(project, "node_modules/desktopd/package.json"), "utf8")) as { version: string };
      assert.match(installed.version, /^\d+\.\d+\.\d+/);
    } finally {
      process.kill(-group, "SIGINT");
    }
    const r = await proc;
    assert.doesNotMatch(r.stderr, /"level":(50|60)/, "no error logged");
    await until(() => !groupAlive(group), "every process of the group (npx, desktopd, Xvnc) gone");
  });
});
