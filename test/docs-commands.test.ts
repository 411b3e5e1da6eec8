/**
 * Every command block of the README and of the docs pages it links to is
 * tested. Each `sh` block says, in the HTML comment before it, which spec
 * runs it ("run by test/...") or why none can ("not run: ..."); this spec
 * checks that every block says so, naming a spec that exists, and runs the
 * blocks that name it, in bash, as written, against a live server: its
 * address in place of 127.0.0.1:7000, its token in $HOME's token file and in
 * DESKTOPD_TOKEN, `node dist/src/cli/main.js` run from source. What they did
 * is then read back through the API and the file root.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { FileRoot } from "../src/files/file-root.js";
import { alive, eventually } from "./helpers/process.js";
import { useTestServer } from "./helpers/server.js";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const SELF = "test/docs-commands.test.ts";

interface Block {
  page: string;
  /** Index among the page's sh blocks. */
  index: number;
  marker: string;
  script: string;
}

/** The README and the docs pages it links to. */
async function pages(): Promise<string[]> {
  const readme = await readFile(join(REPO, "README.md"), "utf8");
  const linked = [...readme.matchAll(/\]\((docs\/[\w-]+\.md)(#[\w-]*)?\)/g)].map((m) => m[1]);
  return ["README.md", ...new Set(linked)];
}

/** The sh blocks of `page`, each with the comment right before it ("" when none). */
async function blocks(page: string): Promise<Block[]> {
  const text = await readFile(join(REPO, page), "utf8");
  return [...text.matchAll(/(?:<!--\s*([\s\S]*?)\s*-->\n)?```sh\n([\s\S]*?)```/g)].map((m, index) => ({
    page,
    index,
    marker: m[1] ?? "",
    script: m[2],
  }));
}

const ROOT = join(tmpdir(), `desktopd-docs-root-${process.pid}`);

describe("the docs' command blocks", () => {
  const t = useTestServer({ files: new FileRoot(ROOT) });
  let home: string;
  let work: string;
  before(async () => {
    await mkdir(ROOT, { recursive: true });
    home = await mkdtemp(join(tmpdir(), "desktopd-docs-home-"));
    work = await mkdtemp(join(tmpdir(), "desktopd-docs-work-"));
    await mkdir(join(home, ".config/desktopd"), { recursive: true });
    await writeFile(join(home, ".config/desktopd/token"), t().token, { mode: 0o600 });
    await writeFile(join(work, "report.pdf"), "%PDF-1.4 a report\n");
  });
  after(async () => {
    for (const dir of [home, work, ROOT]) await rm(dir, { recursive: true, force: true });
  });

  /** Runs `script` in bash as the docs mean it, against the live server. */
  async function run(script: string, env: Record<string, string> = {}) {
    const host = new URL(t().url).host;
    const body = script
      .replaceAll("127.0.0.1:7000", host)
      .replaceAll("node dist/src/cli/main.js", `${join(REPO, "node_modules/.bin/tsx")} ${join(REPO, "src/cli/main.ts")}`)
      .replaceAll("node_modules/.bin/buf", join(REPO, "node_modules/.bin/buf"));
    return execa("bash", ["-c", `set -eu\n${body}`], {
      cwd: work,
      timeout: 120_000,
      env: {
        ...process.env,
        HOME: home,
        DESKTOPD_TOKEN: t().token,
        DESKTOPD_URL: t().url,
        PATH: `${join(REPO, "node_modules/.bin")}:${process.env.PATH}`,
        ...env,
      },
    });
  }

  /** The blocks this spec runs, by page; a later block of a page sees the first one's definitions (TOKEN, dcurl, U). */
  async function mine(page: string): Promise<string[]> {
    const all = (await blocks(page)).filter((b) => b.marker.startsWith(`run by ${SELF}`));
    const definitions = (all[0]?.script ?? "").split("\n").filter((l) => /^(TOKEN=|dcurl\(\)|U=)/.test(l));
    return all.map((b, i) => (i === 0 ? b.script : [...definitions, b.script].join("\n")));
  }

  it("every sh block of the README and its docs pages names the spec that runs it, or why none can", async () => {
    const all = (await Promise.all((await pages()).map(blocks))).flat();
    assert.ok(all.length >= 10, `${all.length} blocks`);
    for (const b of all) {
      const where = `${b.page}, sh block ${b.index + 1}`;
      assert.match(b.marker, /^(run by |not run: )/, `${where} says neither "run by" nor "not run:"`);
      for (const [, file] of b.marker.matchAll(/\b((?:test|\.ci)\/[\w./-]+)/g))
        assert.ok(existsSync(join(REPO, file)), `${where} names ${file}, which is not there`);
    }
  });

  it("README: buf curl's first calls (GetDisplay, a scaled click, type, a settled click, health)", async () => {
    const [block] = await mine("README.md");
    const r = await run(block);
    assert.match(r.stdout, /"nativeSize"/);
    assert.match(r.stdout, /"settled": true/);
    assert.match(r.stdout, /"status": "SERVING"/);
  });

  it("docs/clients.md: buf curl (reflection, actions, a screenshot, a recording) and clipboard, files and windows", async () => {
    const [calls, objects] = await mine("docs/clients.md");
    const r = await run(calls);
    assert.match(r.stdout, /desktop\.v1\.DesktopService/, "reflection listed the service");
    assert.match(r.stdout, /"settled": true/);
    assert.match(r.stdout, /"videoSize"/, "StopRecording sent its info");
    const o = await run(objects);
    assert.match(o.stdout, /"text": "héllo ✓"/, "GetClipboard printed the text");
    assert.equal((await t().grpc.getClipboard({})).text, "héllo ✓");
    assert.equal(await readFile(join(ROOT, "notes/todo.txt"), "utf8"), "buy milk\n");
    assert.match(o.stdout, new RegExp(`"chunk": "${Buffer.from("buy milk\n").toString("base64")}"`), "DownloadFile sent the bytes");
    const pid = Number(/"pid": (\d+)/.exec(o.stdout)?.[1]);
    assert.ok(pid > 0, o.stdout);
    // Asked politely, an xterm usually goes by itself ({}); on a loaded machine it may
    // miss the 2 s the docs give it and be killed. Either way it must go.
    assert.match(o.stdout, /(\{\s*\}|\{\s*"killed": true\s*\})\s*$/, "CloseWindow answered");
    await eventually(async () => ((await t().grpc.listWindows({})).windows.some((w) => w.title === "notes") ? undefined : true), 10_000);
    await eventually(async () => (alive(pid) ? undefined : true), 10_000);
  });

  it("docs/clients.md: the desktopd commands (screenshot, record, upload, download, clipboard, open)", async () => {
    const [, , shell] = await mine("docs/clients.md");
    const r = await run(shell);
    const png = await readFile(join(work, "desk.png"));
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [1280, 720]);
    assert.ok((await readFile(join(work, "session.mp4"))).length > 0);
    assert.equal(await readFile(join(work, "copy.pdf"), "utf8"), "%PDF-1.4 a report\n");
    assert.equal(await readFile(join(ROOT, "Documents/report.pdf"), "utf8"), "%PDF-1.4 a report\n");
    assert.match(r.stdout, /héllo ✓/);
    // `clipboard get` prints the text as it is (no newline of its own), then `open` prints the pid.
    const pid = Number(/(\d+)\s*$/.exec(r.stdout)?.[1]);
    assert.ok(pid > 0 && alive(pid), r.stdout);
    process.kill(pid, "SIGKILL");
  });

  it("docs/behaviour.md: ListFiles, LaunchApplication and SetClipboard as buf curl lines; portabledesktop fetch", async () => {
    const [fetch, files, apps] = await mine("docs/behaviour.md");
    await mkdir(join(ROOT, "Documents"), { recursive: true });
    assert.match((await run(files)).stdout, /"files"|^\{\s*\}$/m);
    const launched = await run(apps);
    const pid = Number(/"pid": (\d+)/.exec(launched.stdout)?.[1]);
    assert.ok(pid > 0, launched.stdout);
    process.kill(pid, "SIGKILL");
    // The release host: a local one, serving a binary whose sha256 is pinned for it.
    const binary = Buffer.from("#!/bin/sh\necho portabledesktop\n");
    const server = createServer((_q, res) => res.writeHead(200, { "content-length": String(binary.length) }).end(binary));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as { port: number }).port;
      const cache = await mkdtemp(join(tmpdir(), "desktopd-docs-xdg-"));
      const r = await run(fetch, {
        XDG_CACHE_HOME: cache,
        DESKTOPD_PORTABLEDESKTOP_URL: `http://127.0.0.1:${port}/pd`,
        DESKTOPD_PORTABLEDESKTOP_SHA256: createHash("sha256").update(binary).digest("hex"),
      });
      assert.ok((await readFile(r.stdout.trim())).equals(binary), "the printed path holds the binary");
      await rm(cache, { recursive: true, force: true });
    } finally {
      server.close();
    }
  });
});
