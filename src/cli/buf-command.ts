/**
 * How to run `buf` on this machine, for the lines `desktopd serve` suggests:
 * `buf` when it is on PATH; else the checkout's own copy (the @bufbuild/buf
 * dev dependency, node_modules/.bin/buf); else `npx @bufbuild/buf`, which
 * fetches it.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** A shell word (or two) that runs buf. */
export function bufCommand(path = process.env.PATH ?? ""): string {
  if (path.split(delimiter).some((dir) => dir && executable(join(dir, "buf")))) return "buf";
  // src/cli/ or dist/src/cli/ -> the package root.
  for (const up of ["../../node_modules/.bin/buf", "../../../node_modules/.bin/buf"]) {
    const local = fileURLToPath(new URL(up, import.meta.url));
    if (executable(local)) return local;
  }
  return "npx @bufbuild/buf";
}
