/**
 * The file root's starting contents (`serve --file-root-template DIR`): a
 * Reset empties the root and copies the template in, so every task starts
 * with the same files. GNU cp does the copying (`cp -a`: modes, times and
 * symbolic links kept as they are, never followed; `--one-file-system`
 * stays off mounts); no shell. The template must lie outside the root, and
 * since the desktop's programs run as the same user, it belongs on a
 * read-only mount (the image's read-only root, say).
 */
import { mkdir, readdir, realpath, stat } from "node:fs/promises";
import { relative, sep } from "node:path";
import { execa } from "execa";
import type { Logger } from "pino";

/** The template directory, checked: a directory, neither inside the root nor holding it. Throws naming the flag. */
export async function checkTemplate(template: string, root: string): Promise<string> {
  const t = await realpath(template).catch(() => undefined);
  if (!t || !(await stat(t)).isDirectory()) throw new Error(`--file-root-template ${template}: not a directory`);
  const r = await realpath(root).catch(() => root);
  const inside = (a: string, b: string) => {
    const rel = relative(b, a);
    return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !rel.startsWith(sep));
  };
  if (inside(t, r) || inside(r, t)) throw new Error(`--file-root-template ${template}: must lie outside the file root, and not hold it`);
  return t;
}

/** Copies everything in `template` into the (empty) `root`; rejects with cp's first complaint, paths left out. */
export async function copyTemplate(template: string, root: string, signal?: AbortSignal): Promise<void> {
  const r = await execa("cp", ["-a", "--one-file-system", "--", `${template}/.`, `${root}/`], {
    reject: false,
    stdin: "ignore",
    cancelSignal: signal,
  });
  if (r.exitCode !== 0) {
    const why = r.stderr.split("\n")[0].replaceAll(template, "<template>").replaceAll(root, "<root>");
    throw new Error(`the file root could not be filled from its template: ${why}`);
  }
}

/**
 * At start: checks `template` (a UsageError-worthy Error otherwise) and, when
 * the root is empty (a new volume), copies it in. Resolves with the checked path.
 */
export async function startingFiles(template: string, root: string, logger: Logger): Promise<string> {
  const checked = await checkTemplate(template, root);
  await mkdir(root, { recursive: true, mode: 0o700 });
  if ((await readdir(root)).length === 0) {
    await copyTemplate(checked, root);
    logger.info({ entries: (await readdir(root)).length }, "file root filled from its template");
  }
  return checked;
}
