/**
 * Resolving and downloading the portabledesktop binary, against a real local
 * HTTP server standing in for the release host: verified, cached, retried,
 * cancellable, and never leaving a partial file behind.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { type ResolveOptions, release, resolvePortableDesktop, UnsupportedPlatformError } from "../../src/desktop/portable/binary.js";
import { testLogger } from "../helpers/server.js";

const BODY = Buffer.concat([Buffer.from("#!/bin/sh\necho stand-in release\n"), Buffer.alloc(256 * 1024, 7)]);
const SHA = createHash("sha256").update(BODY).digest("hex");

describe("portabledesktop binary resolution", () => {
  let server: Server;
  let url: string;
  let requests = 0;
  /** What the next requests get: a status, "ok", or "stall" (half the body, then nothing). */
  let script: (number | "ok" | "stall")[] = [];
  let cache: string;
  const stalled: ServerResponse[] = [];

  before(async () => {
    server = createServer((_req, res) => {
      requests++;
      const step = script.shift() ?? "ok";
      if (typeof step === "number") {
        res.writeHead(step).end();
      } else {
        res.writeHead(200, { "content-length": String(BODY.length) });
        if (step === "ok") res.end(BODY);
        else {
          res.write(BODY.subarray(0, BODY.length / 2));
          stalled.push(res);
        }
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/portabledesktop-linux-x64`;
  });
  after(() => {
    for (const r of stalled) r.destroy();
    server.close();
  });
  beforeEach(async () => {
    requests = 0;
    script = [];
    cache = await mkdtemp(join(tmpdir(), "desktopd-cache-"));
  });
  afterEach(async () => {
    await rm(cache, { recursive: true, force: true });
  });

  const opts = (over: Partial<ResolveOptions> = {}): ResolveOptions => ({
    logger: testLogger(),
    release: { version: "v9.9.9", url, sha256: SHA },
    cacheDir: cache,
    // Nothing on PATH may answer first.
    env: { PATH: "/nonexistent" },
    download: true,
    backoffMs: 10,
    platform: "linux",
    arch: "x64",
    ...over,
  });
  const cached = () => join(cache, "v9.9.9", "portabledesktop");
  const leftovers = async () => (await readdir(join(cache, "v9.9.9")).catch(() => [])).filter((f) => f !== "portabledesktop");

  it("downloads, verifies and caches with mode 0700; the next resolve uses the cache (one request)", async () => {
    const first = await resolvePortableDesktop(opts());
    assert.deepEqual(first, { path: cached(), source: "download" });
    assert.deepEqual(await readFile(cached()), BODY);
    const { mode } = await stat(cached());
    assert.equal(mode & 0o777, 0o700);
    const second = await resolvePortableDesktop(opts());
    assert.deepEqual(second, { path: cached(), source: "cache" });
    assert.equal(requests, 1);
  });

  it("a sha256 mismatch fails and leaves nothing in the cache directory", async () => {
    await assert.rejects(resolvePortableDesktop(opts({ release: { version: "v9.9.9", url, sha256: "0".repeat(64) } })), /sha256 mismatch/);
    assert.deepEqual(await readdir(join(cache, "v9.9.9")), []);
  });

  it("503, 503, 200: three requests with backoff, then success", async () => {
    script = [503, 503, "ok"];
    const progress: number[] = [];
    const r = await resolvePortableDesktop(opts({ onProgress: (n) => progress.push(n) }));
    assert.equal(r?.source, "download");
    assert.equal(requests, 3);
    assert.equal(progress.at(-1), BODY.length);
  });

  it("three failures give up with the last cause", async () => {
    script = [503, 503, 503];
    await assert.rejects(resolvePortableDesktop(opts()), /failed after 3 attempts: HTTP 503/);
    assert.deepEqual(await leftovers(), []);
  });

  it("an abort mid-body stops at once and removes the temp file", async () => {
    script = ["stall"];
    const ac = new AbortController();
    const p = resolvePortableDesktop(opts({ signal: ac.signal, onProgress: (n) => n > 0 && setTimeout(() => ac.abort(), 50) }));
    await assert.rejects(p, (err: Error) => err.name === "AbortError");
    assert.equal(requests, 1);
    assert.deepEqual(await leftovers(), []);
  });

  it("a cached binary whose sha256 no longer matches is fetched again", async () => {
    await mkdir(join(cache, "v9.9.9"), { recursive: true });
    await writeFile(cached(), "corrupted");
    await chmod(cached(), 0o700);
    const r = await resolvePortableDesktop(opts());
    assert.equal(r?.source, "download");
    assert.deepEqual(await readFile(cached()), BODY);
  });

  it("without permission to download, a missing binary resolves to nothing (no request)", async () => {
    assert.equal(await resolvePortableDesktop(opts({ download: false })), undefined);
    assert.equal(requests, 0);
  });

  it("an explicit path, then PATH, come before the cache", async () => {
    const bin = await mkdtemp(join(tmpdir(), "desktopd-bin-"));
    try {
      const exe = join(bin, "portabledesktop");
      await writeFile(exe, "#!/bin/sh\n");
      await chmod(exe, 0o755);
      assert.deepEqual(await resolvePortableDesktop(opts({ explicit: exe })), { path: exe, source: "explicit" });
      assert.deepEqual(await resolvePortableDesktop(opts({ env: { PATH: bin } })), { path: exe, source: "PATH" });
      await assert.rejects(resolvePortableDesktop(opts({ explicit: join(bin, "missing") })), /not an executable file/);
      assert.equal(requests, 0);
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  });

  it("only linux x64 and arm64 are supported, with a clear error elsewhere", async () => {
    assert.throws(() => release({}, "darwin", "arm64"), UnsupportedPlatformError);
    assert.throws(() => release({}, "linux", "ia32"), /linux x64 and arm64 only, not linux ia32/);
    await assert.rejects(resolvePortableDesktop(opts({ platform: "win32" })), UnsupportedPlatformError);
    assert.match(release({}, "linux", "arm64").url, /v0\.0\.8\/portabledesktop-linux-arm64$/);
  });
});
