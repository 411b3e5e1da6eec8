/**
 * Finding the `portabledesktop` binary, in order, each step logged:
 *   1. an explicit path (--portabledesktop PATH),
 *   2. `portabledesktop` on PATH,
 *   3. the cache, $XDG_CACHE_HOME/desktopd/portabledesktop/<version>/portabledesktop,
 *      used only if its sha256 still matches,
 *   4. a download of the pinned release (github.com/coder/portabledesktop
 *      releases; the sha256 of each version is pinned below), when allowed:
 *      streamed into a temp file beside the cache entry while hashing, sha256
 *      compared, chmod 0700, atomic rename; 3 attempts with backoff;
 *      cancellable with an AbortSignal; a failure leaves nothing behind.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { access, chmod, constants, mkdir, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Logger } from "pino";
import { withDefaults } from "../../os/defaults.js";
import { sleep } from "../../os/sleep.js";

export const DEFAULT_VERSION = "v0.0.8";
const SHA256: Record<string, Record<string, string>> = {
  "v0.0.8": {
    x64: "abd71b1a44dcfb896b9aca5759735a7fb385fd9286ea77b82e96683d2be35c68",
    arm64: "749494fc13658a10da2201ed3ea58a858d78fe3fb445132f72dfd797d0d2191e",
  },
  "v0.0.4": {
    x64: "a04e05e6c7d6f2e6b3acbf1729a7b21271276300b4fee321f4ffee6136538317",
    arm64: "b8cb9142dc32d46a608f25229cbe8168ff2a3aadc54253c74ff54cd347e16ca6",
  },
};

/** Where a release comes from; each part overridable (tests, mirrors). */
export interface Release {
  version: string;
  url: string;
  sha256: string;
}

export class UnsupportedPlatformError extends Error {
  constructor(platform: string, arch: string) {
    super(`portabledesktop runs on linux x64 and arm64 only, not ${platform} ${arch}; use --backend builtin`);
    this.name = "UnsupportedPlatformError";
  }
}

/**
 * The release for this platform. `override` replaces version, URL or sha256
 * (a version without a known sha256 needs one). Throws UnsupportedPlatformError
 * off linux x64/arm64.
 */
export function release(override: Partial<Release> = {}, platform: string = process.platform, arch: string = process.arch): Release {
  if (platform !== "linux" || (arch !== "x64" && arch !== "arm64")) throw new UnsupportedPlatformError(platform, arch);
  const version = override.version ?? DEFAULT_VERSION;
  const sha256 = override.sha256 ?? SHA256[version]?.[arch];
  if (!sha256) throw new Error(`no sha256 known for portabledesktop ${version}; pass one`);
  const url = override.url ?? `https://github.com/coder/portabledesktop/releases/download/${version}/portabledesktop-linux-${arch}`;
  return { version, url, sha256 };
}

/** $XDG_CACHE_HOME/desktopd/portabledesktop (~/.cache when XDG_CACHE_HOME is unset). */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "desktopd", "portabledesktop");
}

export interface ResolveOptions {
  logger: Logger;
  /** --portabledesktop PATH: used as is (must be executable). */
  explicit?: string;
  release?: Partial<Release>;
  /** The environment: PATH to search, XDG_CACHE_HOME for the default cache. */
  env?: NodeJS.ProcessEnv;
  /** The cache directory; defaultCacheDir(env) unless told. */
  cacheDir?: string;
  /** May step 4 download? (`--backend auto` says no.) */
  download: boolean;
  signal?: AbortSignal;
  /** Download attempts, and the backoff unit, ms (the n-th retry waits n units). */
  attempts?: number;
  backoffMs?: number;
  /** Download progress: bytes so far, and the total when the server said. */
  onProgress?: (received: number, total: number | undefined) => void;
  platform?: string;
  arch?: string;
}

export interface Resolved {
  path: string;
  source: "explicit" | "PATH" | "cache" | "download";
}

const executable = (p: string) =>
  access(p, constants.X_OK).then(
    () => true,
    () => false,
  );

async function sha256Of(file: string): Promise<string> {
  const h = createHash("sha256");
  await pipeline(createReadStream(file), h);
  return h.digest("hex");
}

export const DEFAULTS = { env: process.env, attempts: 3, backoffMs: 1000 };

/** The cache path of a release. */
export function cachePath(rel: Release, cacheDir: string): string {
  return join(cacheDir, rel.version, "portabledesktop");
}

/** Whether the cache holds `rel` with a matching sha256. */
export async function isCached(rel: Release, cacheDir: string): Promise<boolean> {
  const p = cachePath(rel, cacheDir);
  return (await executable(p)) && (await sha256Of(p)) === rel.sha256;
}

/** Resolves the binary; undefined when it is not found and downloading is not allowed. */
export async function resolvePortableDesktop(options: ResolveOptions): Promise<Resolved | undefined> {
  const opts = withDefaults(DEFAULTS, options);
  const log = opts.logger;
  if (opts.explicit) {
    if (!(await executable(opts.explicit))) throw new Error(`--portabledesktop ${opts.explicit}: not an executable file`);
    log.info({ path: opts.explicit }, "portabledesktop: using the explicit path");
    return { path: opts.explicit, source: "explicit" };
  }
  for (const dir of (opts.env.PATH ?? "").split(delimiter).filter(Boolean)) {
    const p = join(dir, "portabledesktop");
    if (await executable(p)) {
      log.info({ path: p }, "portabledesktop: found on PATH");
      return { path: p, source: "PATH" };
    }
  }
  log.info("portabledesktop: not on PATH");
  const rel = release(opts.release, opts.platform, opts.arch);
  const cached = cachePath(rel, opts.cacheDir ?? defaultCacheDir(opts.env));
  if (await executable(cached)) {
    const sum = await sha256Of(cached);
    if (sum === rel.sha256) {
      log.info({ path: cached }, "portabledesktop: using the cached binary");
      return { path: cached, source: "cache" };
    }
    log.warn(
      { path: cached, sha256: sum, expected: rel.sha256 },
      "portabledesktop: cached binary does not match its sha256; fetching it again",
    );
    await rm(cached, { force: true });
  } else {
    log.info({ path: cached }, "portabledesktop: not cached");
  }
  if (!opts.download) return undefined;
  await download(rel, cached, opts);
  return { path: cached, source: "download" };
}

/** Downloads `rel` to `dest` (see the module comment). Throws after the last attempt. */
export async function download(
  rel: Release,
  dest: string,
  options: Pick<ResolveOptions, "logger" | "signal" | "attempts" | "backoffMs" | "onProgress">,
): Promise<void> {
  const opts = withDefaults(DEFAULTS, options);
  const { logger: log, attempts } = opts;
  await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
  let last: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    opts.signal?.throwIfAborted();
    log.info({ url: rel.url, version: rel.version, attempt }, "portabledesktop: downloading");
    try {
      await downloadOnce(rel, dest, opts);
      log.info({ path: dest, version: rel.version }, "portabledesktop: downloaded and verified");
      return;
    } catch (err) {
      last = err;
      if (opts.signal?.aborted || err instanceof ChecksumError) throw err;
      log.warn({ attempt, err: (err as Error).message }, "portabledesktop: download failed");
      if (attempt < attempts) await sleep(opts.backoffMs * attempt, opts.signal);
    }
  }
  throw new Error(`download of portabledesktop ${rel.version} failed after ${attempts} attempts: ${(last as Error).message}`, {
    cause: last,
  });
}

class ChecksumError extends Error {}

async function downloadOnce(rel: Release, dest: string, opts: Pick<ResolveOptions, "logger" | "signal" | "onProgress">): Promise<void> {
  const tmp = join(dirname(dest), `.portabledesktop-${randomBytes(6).toString("hex")}.tmp`);
  try {
    const res = await fetch(rel.url, { signal: opts.signal, redirect: "follow" });
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} from ${rel.url}`);
    const total = Number(res.headers.get("content-length")) || undefined;
    const hash = createHash("sha256");
    let received = 0;
    let logged = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        received += chunk.length;
        opts.onProgress?.(received, total);
        if (received - logged >= 8 * 2 ** 20) {
          logged = received;
          opts.logger.info({ received, total }, "portabledesktop: download progress");
        }
        done(null, chunk);
      },
    });
    await pipeline(Readable.fromWeb(res.body as import("node:stream/web").ReadableStream), meter, createWriteStream(tmp, { mode: 0o600 }), {
      signal: opts.signal,
    });
    const sum = hash.digest("hex");
    if (sum !== rel.sha256) throw new ChecksumError(`sha256 mismatch for ${rel.url}: got ${sum}, want ${rel.sha256}`);
    await chmod(tmp, 0o700);
    await rename(tmp, dest);
  } finally {
    await rm(tmp, { force: true });
  }
}
