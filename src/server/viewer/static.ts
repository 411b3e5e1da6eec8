/**
 * The browser live view's files, for whatever path is not an RPC: `GET /` is
 * the page (src/web/), `/novnc/...` is noVNC's ES modules straight from
 * node_modules/@novnc/novnc. Only GET and HEAD, only .html/.js/.css files
 * under those two directories; everything else is 404. The page and its
 * scripts carry no secret, so they need no token; the `/vnc` WebSocket does.
 */
import { createReadStream, existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { requestUrl } from "../transport/request-url.js";

/** A plain Node request handler, as connectNodeAdapter's fallback takes it. */
type Handler = NonNullable<ConnectNodeAdapterOptions["fallback"]>;
type Request = Parameters<Handler>[0];
type Response = Parameters<Handler>[1];

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

const HEADERS = {
  // The token is in the page's URL until the page moves it to sessionStorage.
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "content-security-policy": [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; "),
  "cache-control": "no-cache",
};

/** URL prefix -> directory served under it. */
function roots(): [string, string][] {
  const novnc = dirname(createRequire(import.meta.url).resolve("@novnc/novnc")); // .../@novnc/novnc/core
  return [
    ["/novnc/core/", novnc],
    ["/novnc/vendor/", join(novnc, "..", "vendor")],
    ["/", webDir()],
  ];
}

/** src/web of this package, from src/server/viewer (tsx) or dist/src/server/viewer (built). */
function webDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("desktopd: package root not found");
    dir = up;
  }
  return join(dir, "src", "web");
}

/** A Node request handler serving the page and noVNC; use as connectNodeAdapter's fallback. */
export function staticFiles(): Handler {
  const served = roots();
  return (req, res) => {
    void serveFile(served, req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, "internal error");
      else res.destroy();
    });
  };
}

async function serveFile(served: [string, string][], req: Request, res: Response): Promise<void> {
  const path = requestUrl(req.url).pathname;
  const file = resolveFile(served, path === "/" ? "/index.html" : path);
  const info = file ? await stat(file).catch(() => undefined) : undefined;
  if (!file || !info?.isFile()) return reply(res, 404, "not found");
  if (req.method !== "GET" && req.method !== "HEAD") return reply(res, 405, "method not allowed", { allow: "GET, HEAD" });
  res.writeHead(200, { ...HEADERS, "content-type": TYPES[extname(file)], "content-length": info.size });
  if (req.method === "HEAD") return void res.end();
  createReadStream(file)
    .on("error", () => res.destroy())
    .pipe(res as NodeJS.WritableStream);
}

/** The file `path` names under the first matching root, or undefined (unknown prefix, traversal, other types). */
function resolveFile(served: [string, string][], path: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0") || !TYPES[extname(decoded)]) return undefined;
  for (const [prefix, dir] of served) {
    if (!decoded.startsWith(prefix)) continue;
    const file = resolve(dir, `.${decoded.slice(prefix.length - 1)}`);
    return file.startsWith(dir + sep) ? file : undefined;
  }
  return undefined;
}

function reply(res: Response, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff", ...extra });
  res.end(`${text}\n`);
}
