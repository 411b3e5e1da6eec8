/**
 * A service that dies without cleaning up (kill -9) leaves no desktop behind:
 * the processes it started die with it, what it could not take along (a
 * portabledesktop session) is stopped by the next start, and the next start
 * removes the dead instance's files. No desktop process ever sees a DESKTOPD_*
 * variable (the token among them). Real `desktopd serve` processes.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { createDesktopClient } from "../src/client/client.js";
import { alive, environOf, processesMentioning, stderrMatch, until } from "./helpers/process.js";
import { PORTABLEDESKTOP_STANDIN } from "./helpers/server.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const TOKEN = "crash-spec-token-0123456789abcdef";

/** `desktopd serve` with `args` and the runtime dir `dir`; resolves once it serves. */
async function serve(dir: string, args: string[]): Promise<{ proc: ResultPromise; url: string }> {
  const env = {
    ...process.env,
    DESKTOPD_TOKEN: TOKEN,
    DESKTOPD_RUNTIME_DIR: dir,
    DESKTOPD_LOG_LEVEL: "warn",
    DESKTOPD_URL: "http://example.invalid",
  };
  const proc = execa("node", ["--import", "tsx", MAIN, "serve", "--listen", "127.0.0.1:0", "--geometry", "320x240", ...args], {
    env,
    reject: false,
  });
  const [, url] = await stderrMatch(proc, proc, /serving on (http:\/\/[\d.:]+)/);
  // Wrapped: an execa process is a thenable, which an async function would await.
  return { proc, url };
}

/** Starts the desktop (it starts on the first call) with a GetDisplay over Connect JSON. */
async function startDesktop(url: string): Promise<void> {
  const res = await fetch(`${url}/desktop.v1.DesktopService/GetDisplay`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
    body: "{}",
  });
  assert.equal(res.status, 200, await res.text());
}

/** The instance directory of `kind` in the runtime dir `dir`, once there. */
async function instanceDir(dir: string, kind: RegExp): Promise<string> {
  let found: string | undefined;
  await until(() => {
    // readdirSync: `until` takes a synchronous condition.
    found = readdirSync(dir).find((n) => kind.test(n));
    return found !== undefined;
  }, `a ${kind} directory in ${dir}`);
  return join(dir, found as string);
}

const backends = [
  { name: "builtin", args: ["--backend", "builtin", "--open", "xterm"], kinds: /^desktop-/, processes: 4 },
  {
    name: "portabledesktop (stand-in CLI)",
    args: ["--backend", "portabledesktop", "--portabledesktop", PORTABLEDESKTOP_STANDIN],
    kinds: /^portabledesktop-/,
    processes: 1,
  },
];

for (const backend of backends) {
  describe(`after kill -9 of the service: ${backend.name}`, () => {
    it("no desktop process outlives a second start, the dead instance's directory is removed, and no desktop process saw DESKTOPD_*", async () => {
      const dir = await mkdtemp(join(tmpdir(), "desktopd-crash-"));
      try {
        const { proc: first, url } = await serve(dir, backend.args);
        await startDesktop(url);
        const instance = await instanceDir(dir, backend.kinds);
        // Every desktop process mentions the instance directory (its sockets, XAUTHORITY, state file).
        // Give --open xterm (and its shell) time to start; they are part of the check.
        await until(() => processesMentioning(instance).length >= backend.processes, `${backend.processes} desktop processes`, 30_000);
        const desktop = processesMentioning(instance);
        for (const pid of desktop) {
          const leaked = environOf(pid).filter((v) => v.startsWith("DESKTOPD_"));
          assert.deepEqual(leaked, [], `process ${pid} sees ${leaked.join(" ")}`);
        }

        first.kill("SIGKILL");
        await first;
        const { proc: second } = await serve(dir, backend.args);
        try {
          await until(() => desktop.every((pid) => !alive(pid)), `the old desktop (${desktop.join(", ")}) is gone`, 15_000);
          assert.ok(!existsSync(instance), "the dead instance's directory is removed");
        } finally {
          second.kill("SIGTERM");
        }
        const end = await second;
        assert.deepEqual(readdirSync(dir), [], `and the second instance removed its own directories (${end.message}): ${end.stderr}`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}

describe("after kill -9 of the service in the middle of an upload", () => {
  it("the next start removes the upload's temporary file from the file root, and its note from the runtime dir", async () => {
    const dir = await mkdtemp(join(tmpdir(), "desktopd-crash-"));
    const root = await mkdtemp(join(tmpdir(), "desktopd-crash-root-"));
    const args = ["--backend", "builtin", "--file-root", root];
    try {
      const { proc: first, url } = await serve(dir, args);
      const client = createDesktopClient({ baseUrl: url, token: TOKEN });
      let stop!: () => void;
      const stopped = new Promise<void>((r) => (stop = r));
      async function* halfway() {
        yield { path: "docs/report.bin", data: randomBytes(64 * 1024) };
        await stopped;
      }
      const upload = client.uploadFile(halfway()).catch(() => "cut");
      await until(() => existsSync(join(root, "docs")) && readdirSync(join(root, "docs")).length > 0, "the temporary file");
      assert.match(readdirSync(join(root, "docs"))[0], /^\.desktopd-upload-\d+-[0-9a-f]{16}$/);
      first.kill("SIGKILL");
      await first;
      stop();
      assert.equal(await upload, "cut");
      const { proc: second } = await serve(dir, args);
      try {
        assert.deepEqual(readdirSync(join(root, "docs")), [], "no temporary file left in the root");
        assert.deepEqual(
          readdirSync(dir).filter((n) => n.startsWith("partial-uploads-")),
          [],
          "the dead service's note of its uploads is gone",
        );
      } finally {
        second.kill("SIGTERM");
      }
      await second;
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(root, { recursive: true, force: true });
    }
  });
});
