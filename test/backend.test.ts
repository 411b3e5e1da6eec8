/**
 * Backend choice and `desktopd portabledesktop fetch`, for real: the CLI as a
 * process against a local HTTP release host, and `--backend auto` picking
 * PortableDesktop only when its binary resolves without a download.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { createBackend } from "../src/cli/backend.js";
import { PORTABLEDESKTOP_STANDIN, testLogger } from "./helpers/server.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));

describe("backend choice and portabledesktop fetch", () => {
  it("`desktopd portabledesktop fetch` downloads into the XDG cache, shows progress and prints the path", async () => {
    const body = Buffer.alloc(3 * 2 ** 20, 1);
    const sha = createHash("sha256").update(body).digest("hex");
    const server = createServer((_q, res) => res.writeHead(200, { "content-length": String(body.length) }).end(body));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const cache = await mkdtemp(join(tmpdir(), "desktopd-xdg-"));
    try {
      const env = {
        XDG_CACHE_HOME: cache,
        DESKTOPD_PORTABLEDESKTOP_URL: `http://127.0.0.1:${(server.address() as { port: number }).port}/pd`,
        DESKTOPD_PORTABLEDESKTOP_SHA256: sha,
        DESKTOPD_LOG_LEVEL: "error",
      };
      const r = await execa("node", ["--import", "tsx", MAIN, "portabledesktop", "fetch"], { env });
      const path = join(cache, "desktopd", "portabledesktop", "v0.0.8", "portabledesktop");
      assert.equal(r.stdout.trim(), path);
      assert.match(r.stderr, /100% \(3\.0 MiB\)/);
      assert.ok((await readFile(path)).equals(body));
      const again = await execa("node", ["--import", "tsx", MAIN, "portabledesktop", "fetch"], { env });
      assert.match(again.stderr, /already cached and verified/);
    } finally {
      server.close();
      await rm(cache, { recursive: true, force: true });
    }
  });

  it("auto picks PortableDesktop when portabledesktop is on PATH, builtin when nothing resolves without a download", async () => {
    const bin = await mkdtemp(join(tmpdir(), "desktopd-path-"));
    const cache = await mkdtemp(join(tmpdir(), "desktopd-xdg-"));
    try {
      await symlink(PORTABLEDESKTOP_STANDIN, join(bin, "portabledesktop"));
      const opts = { backend: "auto" as const, geometry: { width: 800, height: 600 }, open: [], release: {}, logger: testLogger() };
      const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cache };
      const pd = await createBackend({ ...opts, env: { ...env, PATH: `${bin}:${env.PATH}` } });
      assert.equal(pd.backend, "portabledesktop");
      assert.deepEqual((await pd.session()).native, { width: 800, height: 600 });
      await pd.close();
      assert.equal((await createBackend({ ...opts, env })).backend, "builtin");
    } finally {
      await rm(bin, { recursive: true, force: true });
      await rm(cache, { recursive: true, force: true });
    }
  });
});
