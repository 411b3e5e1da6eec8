/** Flag values shared by the subcommands. */
import type { Size } from "../desktop/geometry.js";

export function parseSize(s: string, flag: string): Size {
  const m = /^(\d{1,5})x(\d{1,5})$/.exec(s);
  if (!m || +m[1] < 1 || +m[2] < 1) throw new Error(`${flag}: expected WxH such as 1920x1080, got "${s}"`);
  return { width: +m[1], height: +m[2] };
}

export function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s);
  if (!m || +m[3] > 65535) throw new Error(`--listen: expected HOST:PORT such as 127.0.0.1:7000, got "${s}"`);
  return { host: m[1] ?? m[2], port: +m[3] };
}

/** "xterm -geometry 80x24" -> argv. Split on whitespace; no shell is involved. */
export function parseCommand(s: string): string[] {
  const argv = s.trim().split(/\s+/).filter(Boolean);
  if (argv.length === 0) throw new Error("--open: empty command");
  return argv;
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}
