/**
 * The desktopd image (deploy/docker/Dockerfile) run as a fleet runs it:
 * hardened (`--read-only --tmpfs /tmp --user 65534 --cap-drop ALL
 * --security-opt no-new-privileges`), the token from a mounted file, state on
 * a volume, reached over its published port on loopback. The image is
 * DESKTOPD_IMAGE (CI builds it: deploy/docker/build.sh); the container
 * specs are skipped without it. Debian's docker client is used when present.
 */
import { existsSync } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { generateToken } from "../../src/server/transport/auth.js";

export const IMAGE = process.env.DESKTOPD_IMAGE;
export const DOCKER = existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker";
/** The user-defined bridge network the specs' containers join (publishing a port needs one where dockerd runs with --bridge=none). */
export const NETWORK = "desktopd-test";

/** Why the container specs cannot run here, or undefined when they can. */
export const skipReason = IMAGE ? undefined : "set DESKTOPD_IMAGE to an image built by deploy/docker/build.sh (CI does)";

export const HARDENED = ["--read-only", "--tmpfs", "/tmp", "--user", "65534", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"];

export async function docker(args: string[], opts: { timeoutMs?: number; reject?: boolean } = {}) {
  return execa(DOCKER, args, { timeout: opts.timeoutMs ?? 120_000, reject: opts.reject ?? true, stdin: "ignore" });
}

/** A token file in a directory to mount at /run/secrets/desktopd (readable by the container's user). */
export async function secretsDir(): Promise<{ dir: string; token: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "desktopd-secrets-"));
  const token = generateToken();
  await writeFile(join(dir, "token"), `${token}\n`);
  await chmod(dir, 0o755);
  await chmod(join(dir, "token"), 0o644);
  return { dir, token, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface Container {
  name: string;
  /** http://127.0.0.1:<published port> */
  url: string;
  /** Milliseconds from `docker run` to the command's return. */
  runMs: number;
  logs(): Promise<string>;
  /** `docker stop -t <graceS>`: how long it took, and the exit code. */
  stop(graceS?: number): Promise<{ ms: number; exitCode: number }>;
  remove(): Promise<void>;
}

/** Starts the image hardened with `volume` at /data and `secrets` at /run/secrets/desktopd; `args` go to `desktopd`. */
export async function runContainer(opts: { volume: string; secrets: string; args?: string[]; name?: string }): Promise<Container> {
  if (!IMAGE) throw new Error(skipReason);
  await docker(["network", "inspect", NETWORK], { reject: false }).then((r) =>
    r.exitCode === 0 ? undefined : docker(["network", "create", NETWORK]),
  );
  const name = opts.name ?? `desktopd-spec-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const t0 = performance.now();
  await docker([
    "run",
    "--detach",
    "--name",
    name,
    "--network",
    NETWORK,
    "--publish",
    "127.0.0.1::7000",
    ...HARDENED,
    "--volume",
    `${opts.volume}:/data`,
    "--volume",
    `${opts.secrets}:/run/secrets/desktopd:ro`,
    IMAGE,
    ...(opts.args ?? ["serve", "--insecure"]),
  ]);
  const runMs = performance.now() - t0;
  const port = (await docker(["port", name, "7000/tcp"])).stdout.trim().split("\n")[0].split(":").pop();
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    runMs,
    logs: async () => {
      const r = await docker(["logs", name], { reject: false });
      return `${r.stdout}\n${r.stderr}`;
    },
    stop: async (graceS = 2) => {
      const s = performance.now();
      await docker(["stop", "-t", String(graceS), name]);
      const ms = performance.now() - s;
      const exitCode = Number((await docker(["inspect", "-f", "{{.State.ExitCode}}", name])).stdout.trim());
      return { ms, exitCode };
    },
    remove: async () => {
      await docker(["rm", "-f", name], { reject: false });
    },
  };
}

/** Polls `fn` every `everyMs` until it resolves, for at most `ms`; its last error otherwise. */
export async function until<T>(fn: () => Promise<T>, ms: number, everyMs = 50): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}
