/**
 * The README's `buf curl` lines for clipboard, files and windows run as
 * written, in bash, against a live server: its token file in $HOME, its
 * address in place of 127.0.0.1:7000. What they did is then read back through
 * the API and the file root.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { execa } from "execa";
import { FileRoot } from "../src/files/file-root.js";
import { alive, eventually } from "./helpers/process.js";
import { useTestServer } from "./helpers/server.js";

const README = new URL("../README.md", import.meta.url);
const ROOT = join(tmpdir(), `desktopd-readme-root-${process.pid}`);

/** The `sh` blocks of the README section headed `heading`, in order. */
async function shellBlocks(heading: string): Promise<string[]> {
  const text = await readFile(README, "utf8");
  const start = text.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README has no "${heading}"`);
  const end = text.indexOf("\n### ", start + heading.length + 2);
  const section = text.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe("README: buf curl for clipboard, files and windows", () => {
  const t = useTestServer({ files: new FileRoot(ROOT) });
  let home: string;
  before(async () => {
    await mkdir(ROOT, { recursive: true });
    home = await mkdtemp(join(tmpdir(), "desktopd-readme-home-"));
    await mkdir(join(home, ".config/desktopd"), { recursive: true });
    await writeFile(join(home, ".config/desktopd/token"), t().token, { mode: 0o600 });
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
    await rm(ROOT, { recursive: true, force: true });
  });

  it("the lines run as written: the clipboard holds the text, the file is uploaded and downloaded, the xterm opens and closes", async () => {
    const [first, second] = await shellBlocks("### buf curl");
    assert.ok(first && second, "two sh blocks");
    // The first block's definitions (TOKEN, dcurl, U), then the second block whole.
    const definitions = first.split("\n").filter((l) => /^(TOKEN=|dcurl\(\)|U=)/.test(l));
    assert.equal(definitions.length, 3, definitions.join("\n"));
    const script = ["set -euo pipefail", ...definitions, second].join("\n").replaceAll("127.0.0.1:7000", new URL(t().url).host);
    const r = await execa("bash", ["-c", script], { env: { HOME: home }, cwd: new URL("..", import.meta.url), timeout: 60_000 });

    assert.match(r.stdout, /"text": "héllo ✓"/, "GetClipboard printed the text");
    assert.equal((await t().grpc.getClipboard({})).text, "héllo ✓");
    assert.equal(await readFile(join(ROOT, "notes/todo.txt"), "utf8"), "buy milk\n");
    assert.match(r.stdout, /"path": "notes\/todo.txt"/, "ListFiles and DownloadFile named the file");
    assert.match(r.stdout, new RegExp(`"chunk": "${Buffer.from("buy milk\n").toString("base64")}"`), "DownloadFile sent the bytes");
    const pid = Number(/"pid": (\d+)/.exec(r.stdout)?.[1]);
    assert.ok(pid > 0, r.stdout);
    // Asked politely, an xterm usually goes by itself ({}); on a loaded machine it
    // may miss the 2 s the README gives it and be killed. Either way it must go.
    assert.match(r.stdout, /(\{\s*\}|\{\s*"killed": true\s*\})\s*$/, "CloseWindow answered");
    await eventually(async () => ((await t().grpc.listWindows({})).windows.some((w) => w.title === "notes") ? undefined : true), 10_000);
    await eventually(async () => (alive(pid) ? undefined : true), 10_000);
  });
});
