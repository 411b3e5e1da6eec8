/**
 * Where the bearer token comes from: DESKTOPD_TOKEN, else the token file
 * ($DESKTOPD_TOKEN_FILE, default $XDG_CONFIG_HOME/desktopd/token), created
 * with a new random token (mode 0600) when missing.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { generateToken } from "../server/transport/auth.js";

export function tokenFile(): string {
  if (process.env.DESKTOPD_TOKEN_FILE) return process.env.DESKTOPD_TOKEN_FILE;
  const config = process.env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(config, "desktopd", "token");
}

/** The token for a client: env, then the token file. */
export function readToken(): string | undefined {
  if (process.env.DESKTOPD_TOKEN) return process.env.DESKTOPD_TOKEN;
  try {
    return readFileSync(tokenFile(), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The token for the server; `generated` is true when it was just created. */
export function serverToken(): { token: string; source: string; generated: boolean } {
  if (process.env.DESKTOPD_TOKEN) return { token: process.env.DESKTOPD_TOKEN, source: "DESKTOPD_TOKEN", generated: false };
  const file = tokenFile();
  const existing = readToken();
  if (existing) return { token: existing, source: file, generated: false };
  const token = generateToken();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, token + "\n", { mode: 0o600 });
  return { token, source: file, generated: true };
}
