/**
 * Empties the file root for a desktop reset: every entry in it removed, the
 * root itself kept. GNU rm does the removing: it walks directories by file
 * descriptor and never follows a symbolic link, so a link a desktop program
 * left (or swaps in while rm runs) is removed, not what it points to;
 * `--one-file-system` keeps it off anything mounted inside the root. No
 * shell: names go to rm as argv.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";

/** Entries per rm run (argv stays far below the kernel's limit). */
const BATCH = 256;

/** Removes everything in `root`; resolves with how many entries it held. Rejects with rm's message when something stays. */
export async function emptyRoot(root: string, signal?: AbortSignal): Promise<number> {
  const names = await readdir(root);
  for (let i = 0; i < names.length; i += BATCH) {
    const paths = names.slice(i, i + BATCH).map((n) => join(root, n));
    const r = await execa("rm", ["-rf", "--one-file-system", "--", ...paths], { reject: false, stdin: "ignore", cancelSignal: signal });
    if (r.exitCode !== 0) throw new Error(`the file root could not be emptied: ${r.stderr.split("\n")[0].replaceAll(root, "<root>")}`);
  }
  return names.length;
}
