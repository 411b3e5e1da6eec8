/**
 * nginx from Debian as the HTTP/1.1-only reverse proxy a fleet puts in front
 * of a desktop (docs/deployment.md has the same configuration): HTTP/1.1 to
 * the service, WebSocket upgrade on, responses unbuffered, and a read
 * timeout that cuts a response that sends nothing for that long. Runs in the
 * foreground in a private directory on an ephemeral port; registers its own
 * hooks.
 */
import { once } from "node:events";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { execa, type ResultPromise } from "execa";

export interface Nginx {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** What nginx logged (errors, and each request line). */
  logs(): Promise<string>;
}

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, "127.0.0.1");
  await once(s, "listening");
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** The X-Sandbox-ID the proxy routes to its upstream; any other (or none) gets 404, as from a router. */
export const SANDBOX_ID = "desktop-7";

/** The proxy configuration: `upstream` is host:port, `readTimeoutS` nginx's proxy_read_timeout. */
export function nginxConfig(dir: string, port: number, upstream: string, readTimeoutS: number): string {
  return `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 512; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  map $http_upgrade $connection_upgrade { default upgrade; "" close; }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 16m;
    location / {
      # As agent-sandbox's router: the desktop is named by a header.
      if ($http_x_sandbox_id != "${SANDBOX_ID}") { return 404 "no such sandbox\n"; }
      proxy_pass http://${upstream};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout ${readTimeoutS}s;
      proxy_send_timeout ${readTimeoutS}s;
    }
  }
}
`;
}

/** nginx in front of `upstream()` (a URL such as http://127.0.0.1:7000) for the suite. */
export function useNginx(upstream: () => string, opts: { readTimeoutS: number }): () => Nginx {
  let dir: string;
  let proc: ResultPromise | undefined;
  let url: string | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "desktopd-nginx-"));
    // Workers run as nobody when the suite runs as root: they must reach the temp paths.
    await chmod(dir, 0o777);
    const port = await freePort();
    const conf = join(dir, "nginx.conf");
    await writeFile(conf, nginxConfig(dir, port, new URL(upstream()).host, opts.readTimeoutS));
    proc = execa("nginx", ["-p", dir, "-c", conf], { reject: false, stdio: ["ignore", "pipe", "pipe"] });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const up = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, "127.0.0.1", () => resolve(true)).on("error", () => resolve(false));
        s.unref();
        setTimeout(() => s.destroy(), 1000).unref();
      });
      if (up) break;
      if (proc.exitCode !== null || Date.now() > deadline) {
        const r = await proc;
        throw new Error(`nginx did not start: ${r.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    url = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    proc?.kill("SIGQUIT");
    await proc;
    await rm(dir, { recursive: true, force: true });
  });
  return () => {
    if (!url) throw new Error("useNginx: not started yet");
    return {
      url,
      logs: async () => {
        const read = (f: string) => readFile(join(dir, f), "utf8").catch(() => "");
        return `${await read("error.log")}${await read("access.log")}`;
      },
    };
  };
}
