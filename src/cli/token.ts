/**
 * Where the bearer token comes from: DESKTOPD_TOKEN, else the token file
 * (DESKTOPD_TOKEN_FILE, default $XDG_CONFIG_HOME/desktopd/token), which the
 * server creates with a new random token (mode 0600) when it is missing.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { generateToken } from "../server/transport/auth.js";
import { type Env, text } from "./command.js";

export const TOKEN_FILE = text({
  env: "DESKTOPD_TOKEN_FILE",
  defaultHelp: "$XDG_CONFIG_HOME/desktopd/token",
  help: "where the server keeps its token, made at first start with mode 0600",
});

/** The token file: `explicit` (DESKTOPD_TOKEN_FILE), else under $XDG_CONFIG_HOME (~/.config). */
export function tokenFilePath(env: Env, explicit?: string): string {
  return explicit ?? join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "desktopd", "token");
}

/** The token in `file`, or undefined when there is none. */
export function readTokenFile(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The server's token: `given` (DESKTOPD_TOKEN), the file's, or a new one saved to the file. */
export function serverToken(given: string | undefined, file: string): { token: string; source: string; generated: boolean } {
  if (given) return { token: given, source: "DESKTOPD_TOKEN", generated: false };
  const existing = readTokenFile(file);
  if (existing) return { token: existing, source: file, generated: false };
  const token = generateToken();
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
  } catch (err) {
    // A read-only container with no token mounted: say what to mount, not just EROFS.
    throw new Error(
      `no bearer token: the token file ${file} is missing or empty and cannot be created (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); mount one there (DESKTOPD_TOKEN_FILE) or set DESKTOPD_TOKEN`,
    );
  }
  return { token, source: file, generated: true };
}
