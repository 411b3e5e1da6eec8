/**
 * docs/deployment.md's docker commands run as written, in bash, against the
 * image CI builds. Only what this machine's Docker needs is changed: the
 * image's name (DESKTOPD_IMAGE), a free port for 7000 and 7443, the
 * spec's network (dockerd runs with --bridge=none: publishing a port needs
 * a user-defined network), and names of its own for the container and
 * volume. What the commands did is read back: the printed readiness,
 * metric and GetDisplay answer, the stopped container's exit code.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { docker, IMAGE, NETWORK, skipReason } from "../helpers/container.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const SELF = "test/container/deployment-docs.test.ts";

/** The sh blocks of docs/deployment.md this spec runs, in order. */
async function blocks(): Promise<string[]> {
  const text = await readFile(join(REPO, "docs/deployment.md"), "utf8");
  return [...text.matchAll(/<!--\s*run by ([^\s]+)[^>]*-->\n```sh\n([\s\S]*?)```/g)].filter((m) => m[1] === SELF).map((m) => m[2]);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe("docs/deployment.md's docker commands", { skip: skipReason }, () => {
  const tag = `${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
  const names = { plain: `desktopd-docs-${tag}`, tls: `desktopd-docs-tls-${tag}`, volume: `desktopd-docs-data-${tag}` };
  let work: string;
  let ports: { plain: number; tls: number };
  before(async () => {
    work = await mkdtemp(join(tmpdir(), "desktopd-deploy-docs-"));
    ports = { plain: await freePort(), tls: await freePort() };
    await docker(["network", "inspect", NETWORK], { reject: false }).then((r) =>
      r.exitCode === 0 ? undefined : docker(["network", "create", NETWORK]),
    );
  });
  after(async () => {
    await docker(["rm", "-f", names.plain, names.tls], { reject: false });
    await docker(["volume", "rm", "-f", names.volume], { reject: false });
    await rm(work, { recursive: true, force: true });
  });

  /** Runs a block as the page has it, with this machine's substitutions. */
  function run(script: string) {
    const body = script
      .replaceAll("desktopd:local", IMAGE!)
      .replaceAll("--detach --name desktopd-tls ", `--detach --name ${names.tls} --network ${NETWORK} `)
      .replaceAll("--detach --name desktopd ", `--detach --name ${names.plain} --network ${NETWORK} `)
      .replaceAll("docker rm --force desktopd-tls", `docker rm --force ${names.tls}`)
      .replaceAll("docker stop desktopd", `docker stop ${names.plain}`)
      .replaceAll("desktopd-data:/data", `${names.volume}:/data`)
      .replaceAll("127.0.0.1:7000", `127.0.0.1:${ports.plain}`)
      .replaceAll("127.0.0.1:7443", `127.0.0.1:${ports.tls}`)
      .replaceAll("node_modules/.bin/buf", join(REPO, "node_modules/.bin/buf"));
    return execa("bash", ["-c", `set -euo pipefail\n${body}`], {
      cwd: work,
      timeout: 120_000,
      env: { ...process.env, PATH: `/usr/bin:${process.env.PATH}` },
    });
  }

  it("run hardened with a token file; ready, metrics and GetDisplay answer; docker stop ends it with exit code 0", async () => {
    const [start, calls] = await blocks();
    await run(start);
    const r = await run(calls);
    assert.match(r.stdout, /^desktopd_desktop_ready 1$/m);
    assert.match(r.stdout, /"nativeSize":\s*\{\s*"width":\s*1920,\s*"height":\s*1080/);
    const state = (await docker(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", names.plain])).stdout.trim();
    assert.equal(state, "exited 0");
  });

  it("TLS from mounted files: /readyz over https with the certificate as CA", async () => {
    const [, , tls] = await blocks();
    const r = await run(tls);
    assert.match(r.stdout, /ready/);
    assert.equal((await docker(["ps", "-aq", "--filter", `name=${names.tls}`])).stdout.trim(), "", "removed");
  });
});
