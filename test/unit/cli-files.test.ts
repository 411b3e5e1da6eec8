/**
 * The client commands for files, the clipboard and applications, as a shell
 * user runs them (`desktopd upload|download|clipboard|open`), against a real
 * server with a FakeDesktop and a temp file root.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { FileRoot } from "../../src/files/file-root.js";
import { type FakeServer, startFakeServer } from "../helpers/fake-server.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("desktopd upload, download, clipboard, open", () => {
  let root: string;
  let local: string;
  let server: FakeServer & { close(): Promise<void> };
  let desktopd: (args: string[], input?: string) => Promise<{ stdout: string; stderr: string; exitCode?: number }>;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "desktopd-cli-root-"));
    local = await mkdtemp(join(tmpdir(), "desktopd-cli-local-"));
    server = await startFakeServer({ files: new FileRoot(root) });
    const env = { ...process.env, DESKTOPD_URL: server.url, DESKTOPD_TOKEN: server.token };
    desktopd = (args, input) => execa("node", ["--import", "tsx", MAIN, ...args], { env, reject: false, input, stripFinalNewline: false });
  });
  after(async () => {
    await server?.close();
    await rm(root, { recursive: true, force: true });
    await rm(local, { recursive: true, force: true });
  });

  it("upload then download a 3 MiB file: the same bytes, progress on stderr, no partial file left", async () => {
    const data = randomBytes(3 * 1024 * 1024 + 5);
    await writeFile(join(local, "in.bin"), data);
    const up = await desktopd(["upload", join(local, "in.bin"), "docs/in.bin"]);
    assert.equal(up.exitCode, 0, up.stderr);
    assert.match(up.stderr, /100%|docs\/in\.bin: 3145733 bytes/);
    assert.equal(sha(await readFile(join(root, "docs/in.bin"))), sha(data));
    const down = await desktopd(["download", "docs/in.bin", join(local, "out.bin")]);
    assert.equal(down.exitCode, 0, down.stderr);
    assert.equal(sha(await readFile(join(local, "out.bin"))), sha(data));
    const missing = await desktopd(["download", "no/such", join(local, "x.bin")]);
    assert.equal(missing.exitCode, 1);
    assert.match(missing.stderr, /no such file/);
    assert.deepEqual((await readdir(local)).sort(), ["in.bin", "out.bin"]);
  });

  it("clipboard set (argument or stdin) and get, CLIPBOARD or --primary", async () => {
    assert.equal((await desktopd(["clipboard", "set", "héllo ✓"])).exitCode, 0);
    assert.equal((await desktopd(["clipboard", "get"])).stdout, "héllo ✓");
    assert.equal((await desktopd(["clipboard", "set", "--primary"], "from stdin\n")).exitCode, 0);
    assert.equal((await desktopd(["clipboard", "get", "--primary"])).stdout, "from stdin\n");
  });

  it("open -- CMD ARGS prints the pid and passes argv as given", async () => {
    const r = await desktopd(["open", "--", "sh", "-c", "echo hi"]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, "4242\n");
    assert.deepEqual(server.desktop.argsOf("launchApplication").at(-1)?.[0], ["sh", "-c", "echo hi"]);
  });
});
