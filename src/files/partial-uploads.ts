/**
 * Uploads in progress, noted in the service's runtime directory
 * (`partial-uploads-<pid>.<start>.json`: src/os/process.ts, processIdentity;
 * the temporary files' paths relative to the
 * file root), so that the temporary files of a service killed mid-upload
 * (kill -9, an OOM kill) do not stay in the root for ever: the next start
 * removes them (`sweepPartialUploads`). Only names of the upload pattern
 * (src/files/file-root.ts, TEMP_NAME) are removed, each beneath the root
 * without following symlinks.
 */
import { readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { identityAlive, SELF } from "../os/process.js";
import { FileRoot, TEMP_NAME, type UploadJournal } from "./file-root.js";

const JOURNAL = /^partial-uploads-(\d+(?:\.\d+)?)\.json$/;

export class PartialUploads implements UploadJournal {
  private readonly paths = new Set<string>();
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  /** This process's journal in `runtimeDir`. */
  static in(runtimeDir: string): PartialUploads {
    return new PartialUploads(join(runtimeDir, `partial-uploads-${SELF}.json`));
  }

  /** Notes a temporary file (relative to the root) before it is created. */
  add(path: string): Promise<void> {
    this.paths.add(path);
    return this.save();
  }

  /** Forgets a temporary file once it is renamed or removed. */
  remove(path: string): Promise<void> {
    if (!this.paths.delete(path)) return this.writing;
    return this.save();
  }

  /** Removes the journal when no upload is noted in it any more (a clean shutdown). */
  async close(): Promise<void> {
    await this.writing.catch(() => undefined);
    if (this.paths.size === 0) await rm(this.file, { force: true });
  }

  /** The journal rewritten whole (through a rename: a kill mid-write leaves the old one), one write at a time. */
  private save(): Promise<void> {
    const text = JSON.stringify([...this.paths]);
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        const temp = `${this.file}.tmp`;
        await writeFile(temp, text, { mode: 0o600 });
        await rename(temp, this.file);
      });
    return this.writing.catch(() => undefined);
  }
}

/**
 * Removes the temporary files that services no longer running noted in
 * `runtimeDir` (see the module comment), then their journals; resolves to
 * how many files went. Failures are logged, never thrown: the service starts
 * anyway.
 */
export async function sweepPartialUploads(runtimeDir: string, root: FileRoot, logger: Logger): Promise<number> {
  let removed = 0;
  for (const name of await readdir(runtimeDir).catch(() => [])) {
    const m = JOURNAL.exec(name);
    // Not this process's: its journal is new (written at its first upload), so one with its identity is a leftover too.
    if (!m || (m[1] !== SELF && identityAlive(m[1]))) continue;
    const journal = join(runtimeDir, name);
    const paths: unknown = await readFile(journal, "utf8").then(JSON.parse, () => []);
    for (const path of Array.isArray(paths) ? paths : []) {
      if (typeof path !== "string") continue;
      try {
        const parts = FileRoot.parts(path, "path");
        const temp = parts[parts.length - 1];
        if (!TEMP_NAME.test(temp)) continue;
        const dir = await root.walk(parts.slice(0, -1));
        try {
          if (await dir.remove(temp)) removed++;
        } finally {
          dir.close();
        }
      } catch (err) {
        logger.debug({ path, err: (err as Error).message }, "partial upload not swept");
      }
    }
    await rm(journal, { force: true });
  }
  if (removed > 0) logger.warn({ removed }, "removed the temporary files of uploads a killed desktopd left in the file root");
  return removed;
}
