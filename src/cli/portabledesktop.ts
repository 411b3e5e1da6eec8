/**
 * `desktopd portabledesktop fetch`: downloads the pinned portabledesktop
 * release into the cache (verified), with a progress bar, and prints its path.
 */
import { cachePath, defaultCacheDir, download, isCached, release } from "../desktop/portable/binary.js";
import { createLogger } from "../logger.js";
import { defineCommand } from "./command.js";
import { progressBar } from "./progress.js";
import { LOG_LEVEL, releaseSettings } from "./settings.js";

export const portabledesktopFetch = defineCommand({
  name: "portabledesktop fetch",
  summary: "download the portabledesktop release into the cache and print its path",
  description: "The cache is $XDG_CACHE_HOME/desktopd/portabledesktop/<version>/; a cached binary whose sha256 matches is kept.",
  settings: { ...releaseSettings(true), logLevel: LOG_LEVEL },
  async run(values, { env }) {
    const rel = release({ version: values.version, url: values.url, sha256: values.sha256 });
    const cacheDir = defaultCacheDir(env);
    const dest = cachePath(rel, cacheDir);
    if (!(await isCached(rel, cacheDir))) {
      const ac = new AbortController();
      process.once("SIGINT", () => ac.abort());
      await download(rel, dest, { logger: createLogger(values.logLevel), signal: ac.signal, onProgress: progressBar(process.stderr) });
    } else {
      process.stderr.write(`already cached and verified (${rel.version})\n`);
    }
    process.stdout.write(`${dest}\n`);
  },
});
