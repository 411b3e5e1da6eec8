/**
 * `desktopd portabledesktop fetch`: downloads the pinned portabledesktop
 * release into the cache (verified), with a progress bar, and prints its path.
 * Release overrides: --version/--url/--sha256 or DESKTOPD_PORTABLEDESKTOP_*.
 */
import { parseArgs } from "node:util";
import { cachePath, DEFAULT_VERSION, download, isCached, release } from "../desktop/portable/binary.js";
import { createLogger } from "../logger.js";
import { releaseFromEnv } from "./backend.js";
import { progressBar } from "./progress.js";

export const PORTABLEDESKTOP_USAGE = `desktopd portabledesktop fetch [--version V] [--url URL] [--sha256 HEX]
  downloads the portabledesktop release (default ${DEFAULT_VERSION}) into
  $XDG_CACHE_HOME/desktopd/portabledesktop/<version>/ and prints its path`;

export async function portabledesktop(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { version: { type: "string" }, url: { type: "string" }, sha256: { type: "string" } },
  });
  if (positionals[0] !== "fetch" || positionals.length !== 1) throw new Error(`usage: ${PORTABLEDESKTOP_USAGE}`);
  const env = releaseFromEnv();
  const rel = release({ version: values.version ?? env.version, url: values.url ?? env.url, sha256: values.sha256 ?? env.sha256 });
  const dest = cachePath(rel);
  if (!(await isCached(rel))) {
    const ac = new AbortController();
    process.once("SIGINT", () => ac.abort());
    await download(rel, dest, { logger: createLogger(), signal: ac.signal, onProgress: progressBar(process.stderr) });
  } else {
    process.stderr.write(`already cached and verified (${rel.version})\n`);
  }
  process.stdout.write(`${dest}\n`);
}
