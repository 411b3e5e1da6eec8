/**
 * Starts bench/service.ts in its own process (built-in, or "portabledesktop"
 * through the stand-in CLI) and talks to it over IPC: `next(key)` resolves the
 * next message carrying `key` ("ready", "memory", "cpu", "loop").
 */
import { fileURLToPath } from "node:url";
import { execa } from "execa";

export interface Ready {
  url: string;
  token: string;
  display: string;
  cookie: string;
  xauthority: string;
  /** Xvnc's RFB Unix socket (built-in backend). */
  vncSocket: string;
}

/**
 * Starts bench/service.ts (built-in, or "portabledesktop" through the stand-in
 * CLI) under `node` (a path to another Node.js binary, or the one on PATH).
 */
export async function startService(kind?: string, node = "node") {
  const service = execa(node, ["--import", "tsx", fileURLToPath(new URL("service.ts", import.meta.url)), ...(kind ? [kind] : [])], {
    ipc: true,
    stdio: ["ignore", "inherit", "inherit"],
  });
  const next = <T>(key: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: unknown) => {
        if (m && typeof m === "object" && key in m) {
          service.off("message", onMessage);
          resolve((m as Record<string, T>)[key]);
        }
      };
      service.on("message", onMessage);
      service.catch(reject);
    });
  return { service, next, ep: await next<Ready>("ready") };
}
