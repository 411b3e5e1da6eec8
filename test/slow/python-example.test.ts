/**
 * A polyglot client end to end: examples/python, with stubs generated from
 * proto/ by Debian's protoc + grpc_python_plugin into a temp dir, run with
 * Debian's python3 and grpcio against a live server.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import sharp from "sharp";
import { FileRoot } from "../../src/files/file-root.js";
import { useTestServer } from "../helpers/server.js";

const EXAMPLE = fileURLToPath(new URL("../../examples/python/", import.meta.url));

// The server's file root: made before the server starts, removed with the stubs.
const ROOT = join(tmpdir(), `desktopd-py-root-${process.pid}`);

describe("Python examples (generated gRPC stubs)", () => {
  const t = useTestServer({ files: new FileRoot(ROOT) });
  let dir: string;
  before(async () => {
    await mkdir(ROOT, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), "desktopd-py-"));
    await execa("sh", [join(EXAMPLE, "generate.sh"), join(dir, "stubs")]);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(ROOT, { recursive: true, force: true });
  });

  it("does GetDisplay, a scaled left_click, a screenshot to a file and reads the Vnc greeting", async () => {
    const out = join(dir, "shot.png");
    // Debian's interpreter: python3-grpcio is installed for it, whatever python3 comes first on PATH.
    const r = await execa(
      "/usr/bin/python3",
      [join(EXAMPLE, "desktop_example.py"), "--target", t().url.replace("http://", ""), "--out", out, "--stubs", join(dir, "stubs")],
      {
        env: { DESKTOPD_TOKEN: t().token },
      },
    );
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines[0], "display 1920x1080 (declared 1280x720) backend builtin");
    assert.equal(lines[1], "left_click: left_click action performed; cursor 640,360 (declared)");
    assert.deepEqual(
      await (await t().host.session()).cursorPosition(),
      { x: 960, y: 540 },
      "the pointer really moved, to native (960,540)",
    );
    const meta = await sharp(out).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ["png", 1280, 720]);
    assert.match(lines[3], /^vnc: b'RFB 003\.00\d\\n'$/);
  });

  it("files_clipboard.py: sets and reads the clipboard, uploads 3.5 MiB in 1 MiB chunks, lists and downloads it", async () => {
    const local = join(dir, "upload.bin");
    const back = join(dir, "download.bin");
    const bytes = randomBytes(3.5 * 1024 * 1024);
    await writeFile(local, bytes);
    const text = "Grüße, 世界 — ϰ 🙂";
    const r = await execa(
      "/usr/bin/python3",
      [
        join(EXAMPLE, "files_clipboard.py"),
        ...["--target", t().url.replace("http://", ""), "--stubs", join(dir, "stubs"), "--text", text],
        ...["--upload", local, "--as", "py/data.bin", "--download-to", back],
      ],
      { env: { DESKTOPD_TOKEN: t().token } },
    );
    assert.deepEqual(r.stdout.trim().split("\n"), [
      `clipboard: ${text} (same)`,
      `uploaded py/data.bin: ${bytes.length} bytes, mode 644`,
      "listed py: data.bin",
      `downloaded ${bytes.length} bytes: sha256 same`,
    ]);
    assert.deepEqual(await readFile(join(ROOT, "py/data.bin")), bytes, "the file really is under the root");
    assert.equal(
      await t()
        .grpc.getClipboard({})
        .then((c) => c.text),
      text,
      "the selection still holds the text",
    );
  });
});
