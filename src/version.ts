/** The service's version, from its package.json (next to src/, or to dist/ when built). */
import { readFileSync } from "node:fs";

function packageVersion(): string {
  for (const up of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "desktopd" && pkg.version) return pkg.version;
    } catch {
      // Not here: one level up.
    }
  }
  return "0.0.0";
}

export const SERVICE_VERSION = packageVersion();
