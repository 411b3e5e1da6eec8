/** Settings and value parsers the commands share (see command.ts for how a setting works). */

import type { Size } from "../desktop/geometry.js";
import { DEFAULT_VERSION, type Release } from "../desktop/portable/binary.js";
import { oneOf, text } from "./command.js";

/** "1920x1080" -> { width: 1920, height: 1080 }; errors name `source`. */
export function parseSize(raw: string, source: string): Size {
  const m = /^(\d{1,5})x(\d{1,5})$/.exec(raw);
  if (!m || +m[1] < 1 || +m[2] < 1) throw new Error(`${source}: expected WxH such as 1920x1080, got "${raw}"`);
  return { width: +m[1], height: +m[2] };
}

/** A whole number of `unit` from `min` to `max`. */
function parseWhole(unit: string, min: number, max: number): (raw: string, source: string) => number {
  return (raw, source) => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || n < min || n > max) throw new Error(`${source}: expected ${unit} from ${min} to ${max}, got "${raw}"`);
    return n;
  };
}

/** A duration in whole milliseconds from `min` to `max`. */
export const parseMs = (min: number, max: number) => parseWhole("milliseconds", min, max);

/** A count from `min` to `max`. */
export const parseCount = (min: number, max: number) => parseWhole("a whole number", min, max);

export const formatSize = (s: Size) => `${s.width}x${s.height}`;

/** "127.0.0.1:7000" or "[::1]:7000" -> host and port. */
export function parseListen(raw: string, source: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(raw);
  if (!m || +m[3] > 65535) throw new Error(`${source}: expected HOST:PORT such as 127.0.0.1:7000, got "${raw}"`);
  return { host: m[1] ?? m[2], port: +m[3] };
}

/** A service URL: http:// or https://, host and optional port; no path (the RPC paths are the client's). */
/** An http:// or https:// URL (a path allowed), without a trailing slash. */
export function parseHttpUrl(raw: string, source: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`${source}: "${raw}" is not a URL; give the scheme too, e.g. http://collector:4318`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`${source}: "${raw}" must start with http:// or https://`);
  return u.toString().replace(/\/+$/, "");
}

export function parseServiceUrl(raw: string, source: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`${source}: "${raw}" is not a URL; give the scheme too, e.g. http://127.0.0.1:7000`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new Error(`${source}: "${raw}" must start with http:// or https://, e.g. http://127.0.0.1:7000`);
  }
  if (u.pathname !== "/" || u.search || u.hash) throw new Error(`${source}: "${raw}" must have no path, query or fragment`);
  return u.origin;
}

/** "xterm -geometry 80x24" -> argv. Split on whitespace; no shell is involved. */
export function parseCommand(raw: string, source: string): string[] {
  const argv = raw.trim().split(/\s+/).filter(Boolean);
  if (argv.length === 0) throw new Error(`${source}: empty command`);
  return argv;
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

export const LOG_LEVEL = oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
  env: "DESKTOPD_LOG_LEVEL",
  default: "info",
  help: "pino log level; logs are JSON lines on stderr",
});

/**
 * Which portabledesktop release to download (mirrors, tests): flags and
 * environment for `portabledesktop fetch`, environment only for `serve`.
 */
export function releaseSettings(withFlags: boolean) {
  const flag = (name: string) => (withFlags ? name : undefined);
  return {
    version: text({
      flag: flag("version"),
      value: "V",
      env: "DESKTOPD_PORTABLEDESKTOP_VERSION",
      defaultHelp: DEFAULT_VERSION,
      help: "release to use",
    }),
    url: text({
      flag: flag("url"),
      value: "URL",
      env: "DESKTOPD_PORTABLEDESKTOP_URL",
      defaultHelp: "the GitHub release",
      help: "where to download it",
    }),
    sha256: text({
      flag: flag("sha256"),
      value: "HEX",
      env: "DESKTOPD_PORTABLEDESKTOP_SHA256",
      defaultHelp: "pinned per version",
      help: "its expected sha256",
    }),
  };
}

export type ReleaseValues = Partial<Release>;
