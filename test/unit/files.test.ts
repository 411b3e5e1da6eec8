/**
 * UploadFile, DownloadFile and ListFiles over gRPC to a real server whose
 * file root is a temp directory: large files round-trip byte for byte, an
 * interrupted upload leaves nothing, no path leaves the root (`..`, absolute,
 * NUL, symlinks out), the size limit holds, a download is of the file as
 * opened even while it is replaced, and `--no-files` turns it all off.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { pino } from "pino";
import { FileType } from "../../gen/desktop/v1/desktop_pb.js";
import { createDesktopClient, type DesktopClient } from "../../src/client/client.js";
import { FileRoot, MAX_CHUNK_BYTES, MAX_DEPTH } from "../../src/files/file-root.js";
import { type FakeServer, startFakeServer } from "../helpers/fake-server.js";
import { eventually } from "../helpers/process.js";

const MiB = 1024 * 1024;
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const code = (e: unknown) => Code[ConnectError.from(e).code];

async function* chunksOf(data: Buffer, path: string, mode = 0, size = MAX_CHUNK_BYTES) {
  if (data.length === 0) yield { path, mode, data: new Uint8Array() };
  for (let at = 0; at < data.length; at += size) yield { path: at === 0 ? path : "", mode, data: data.subarray(at, at + size) };
}

async function download(client: DesktopClient, path: string): Promise<{ size: bigint; data: Buffer }> {
  let size = -1n;
  const parts: Uint8Array[] = [];
  for await (const r of client.downloadFile({ path })) {
    if (r.part.case === "info") size = r.part.value.size;
    else if (r.part.case === "chunk") parts.push(r.part.value);
  }
  return { size, data: Buffer.concat(parts) };
}

/** Every log line the server writes, at every level. */
const logLines: string[] = [];
const logger = pino(
  { level: "trace" },
  new Writable({
    write(chunk, _enc, done) {
      logLines.push(chunk.toString());
      done();
    },
  }),
);

describe("file RPCs", () => {
  let root: string;
  let outside: string;
  let server: FakeServer & { close(): Promise<void> };
  let client: DesktopClient;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "desktopd-files-"));
    outside = await mkdtemp(join(tmpdir(), "desktopd-outside-"));
    await writeFile(join(outside, "secret"), "not for you");
    await symlink(outside, join(root, "out"));
    await symlink(join(outside, "secret"), join(root, "secret-link"));
    server = await startFakeServer({ files: new FileRoot(root, { maxFileBytes: 40 * MiB }), logger });
    client = createDesktopClient({ baseUrl: server.url, token: server.token });
  });
  after(async () => {
    await server?.close();
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it("a 33 MiB file round-trips byte for byte, into new directories, with its mode; ListFiles shows it", async () => {
    const data = randomBytes(33 * MiB + 123);
    const res = await client.uploadFile(chunksOf(data, "docs/big/blob.bin", 0o600));
    assert.deepEqual([res.file?.path, res.file?.size, res.file?.mode], ["docs/big/blob.bin", BigInt(data.length), 0o600]);
    assert.equal(sha(await readFile(join(root, "docs/big/blob.bin"))), sha(data));
    const got = await download(client, "docs/big/blob.bin");
    assert.equal(got.size, BigInt(data.length));
    assert.equal(sha(got.data), sha(data));
    const list = await client.listFiles({ path: "docs/big" });
    assert.deepEqual(
      list.files.map((f) => [f.path, f.size, f.mode, f.type]),
      [["docs/big/blob.bin", BigInt(data.length), 0o600, FileType.REGULAR]],
    );
    const mtime = (await stat(join(root, "docs/big/blob.bin"))).mtimeMs;
    assert.ok(Math.abs(Number(list.files[0].modified?.seconds) * 1000 - mtime) < 1000);
  });

  it("the root lists directories and symlinks as such, without following them", async () => {
    const types = Object.fromEntries((await client.listFiles({ path: "" })).files.map((f) => [f.path, f.type]));
    assert.equal(types.docs, FileType.DIRECTORY);
    assert.equal(types.out, FileType.SYMLINK);
    assert.equal(types["secret-link"], FileType.SYMLINK);
  });

  it("an interrupted upload leaves nothing, not even its temporary file", async () => {
    const ac = new AbortController();
    async function* slow() {
      yield { path: "partial.bin", data: randomBytes(MiB) };
      yield { data: randomBytes(MiB) };
      ac.abort();
      await new Promise((r) => setTimeout(r, 1000));
      yield { data: randomBytes(MiB) };
    }
    await assert.rejects(client.uploadFile(slow(), { signal: ac.signal }));
    // The service notices the cancel on its own time: the temporary file goes soon after.
    await eventually(async () =>
      (await readdir(root)).some((n) => n.includes("partial") || n.startsWith(".desktopd-upload-")) ? undefined : true,
    );
  });

  it("every escape attempt is refused, and nothing is written outside", async () => {
    const invalid = ["", "/etc/passwd", "../x", "a/../../x", "docs/../../x", "a\0b"];
    for (const path of invalid) {
      assert.equal(
        await client.uploadFile(chunksOf(Buffer.from("x"), path)).catch(code),
        "InvalidArgument",
        `upload ${JSON.stringify(path)}`,
      );
      if (path) assert.equal(await download(client, path).catch(code), "InvalidArgument", `download ${JSON.stringify(path)}`);
    }
    assert.equal(await client.listFiles({ path: "../" }).catch(code), "InvalidArgument");
    // Through symlinks that lead out of the root.
    assert.equal(await client.uploadFile(chunksOf(Buffer.from("x"), "out/planted")).catch(code), "PermissionDenied");
    assert.equal(await download(client, "out/secret").catch(code), "PermissionDenied");
    assert.equal(await download(client, "secret-link").catch(code), "PermissionDenied");
    assert.equal(await client.listFiles({ path: "out" }).catch(code), "PermissionDenied");
    assert.deepEqual(await readdir(outside), ["secret"]);
  });

  it("no symlink is followed, even one that stays inside the root: PERMISSION_DENIED, and nothing of the host's paths in the message", async () => {
    await mkdir(join(root, "real"), { recursive: true });
    await writeFile(join(root, "real/file.txt"), "inside");
    await symlink(join(root, "real"), join(root, "inner-link"));
    const err = await download(client, "inner-link/file.txt").catch((e) => ConnectError.from(e));
    assert.ok(err instanceof ConnectError);
    assert.equal(Code[err.code], "PermissionDenied");
    assert.match(err.rawMessage, /^inner-link: is a symlink/);
    assert.ok(!err.rawMessage.includes(root), err.rawMessage);
    assert.equal(await client.uploadFile(chunksOf(Buffer.from("x"), "inner-link/new.txt")).catch(code), "PermissionDenied");
    assert.deepEqual(await readdir(join(root, "real")), ["file.txt"]);
  });

  it("a FIFO (or any special file) is refused at once, never blocking: 8 downloads at a time, then every file RPC still answers", {
    timeout: 30_000,
  }, async () => {
    execFileSync("mkfifo", [join(root, "pipe")]);
    // Before: each open(2) of the FIFO held one of libuv's 4 worker threads for good.
    const codes = await Promise.all(Array.from({ length: 8 }, () => download(client, "pipe").catch(code)));
    assert.deepEqual(codes, Array(8).fill("FailedPrecondition"));
    assert.equal(await client.uploadFile(chunksOf(Buffer.from("x"), "pipe/under")).catch(code), "FailedPrecondition");
    const types = Object.fromEntries((await client.listFiles({ path: "" })).files.map((f) => [f.path, f.type]));
    assert.equal(types.pipe, FileType.OTHER);
    await client.uploadFile(chunksOf(Buffer.from("after"), "after-fifo.txt"));
    assert.equal((await download(client, "after-fifo.txt")).data.toString(), "after");
  });

  it("a path too deep or too long is INVALID_ARGUMENT up front: nothing is created", async () => {
    const deep = `${Array(2000).fill("d").join("/")}/f`;
    const err = await client.uploadFile(chunksOf(Buffer.from("x"), deep)).catch((e) => ConnectError.from(e));
    assert.ok(err instanceof ConnectError && err.code === Code.InvalidArgument, String(err));
    assert.match(err.rawMessage, new RegExp(`^path: has 2001 components; at most ${MAX_DEPTH}`));
    assert.equal(await download(client, deep).catch(code), "InvalidArgument");
    assert.equal(await client.listFiles({ path: `${"x/".repeat(2100)}` }).catch(code), "InvalidArgument");
    assert.equal(await client.uploadFile(chunksOf(Buffer.from("x"), `long/${"n".repeat(256)}`)).catch(code), "InvalidArgument");
    assert.ok(!(await readdir(root)).includes("d") && !(await readdir(root)).includes("long"));
  });

  it("names of 235 to 255 bytes upload and download (the temporary file's name is short whatever the name)", async () => {
    for (const n of [235, 250, 255]) {
      const name = `${"é".repeat(Math.floor((n - 4) / 2))}${"x".repeat((n - 4) % 2)}.txt`;
      assert.equal(Buffer.byteLength(name), n);
      const res = await client.uploadFile(chunksOf(Buffer.from(`len ${n}`), `names/${name}`));
      assert.equal(res.file?.path, `names/${name}`);
      assert.equal((await download(client, `names/${name}`)).data.toString(), `len ${n}`);
    }
    assert.deepEqual(
      (await readdir(join(root, "names"))).filter((n) => n.startsWith(".")),
      [],
    );
  });

  it("state and limits: a directory is FAILED_PRECONDITION, a missing file NOT_FOUND, a file over the limit RESOURCE_EXHAUSTED (nothing left), a chunk over 1 MiB INVALID_ARGUMENT", async () => {
    await mkdir(join(root, "adir"), { recursive: true });
    assert.equal(await client.uploadFile(chunksOf(Buffer.from("x"), "adir")).catch(code), "FailedPrecondition");
    assert.equal(await download(client, "adir").catch(code), "FailedPrecondition");
    assert.equal(await download(client, "no/such/file").catch(code), "NotFound");
    assert.equal(await client.uploadFile(chunksOf(randomBytes(41 * MiB), "huge.bin")).catch(code), "ResourceExhausted");
    assert.equal(await client.uploadFile(chunksOf(randomBytes(2 * MiB), "fat.bin", 0, 2 * MiB)).catch(code), "InvalidArgument");
    assert.deepEqual(
      (await readdir(root)).filter((n) => n.includes("huge") || n.includes("fat")),
      [],
    );
  });

  it("a download is of the file as opened: replaced meanwhile, it still gets the old bytes, all of them", async () => {
    const old = randomBytes(8 * MiB);
    await client.uploadFile(chunksOf(old, "moving.bin"));
    const stream = client.downloadFile({ path: "moving.bin" })[Symbol.asyncIterator]();
    const info = (await stream.next()).value;
    assert.equal(info?.part.case, "info");
    const fresh = randomBytes(5 * MiB);
    await client.uploadFile(chunksOf(fresh, "moving.bin"));
    const parts: Uint8Array[] = [];
    for (let r = await stream.next(); !r.done; r = await stream.next()) if (r.value.part.case === "chunk") parts.push(r.value.part.value);
    assert.equal(sha(Buffer.concat(parts)), sha(old));
    assert.equal(sha((await download(client, "moving.bin")).data), sha(fresh));
  });

  it("logs name paths and sizes, never contents (nor clipboard text, nor the token)", async () => {
    const marker = `contents-${randomBytes(8).toString("hex")}`;
    logLines.length = 0;
    await client.uploadFile(chunksOf(Buffer.from(marker), "logged/file.txt"));
    await download(client, "logged/file.txt");
    await client.setClipboard({ text: marker });
    assert.equal((await client.getClipboard({})).text, marker);
    const logs = logLines.join("");
    assert.match(logs, /"path":"logged\/file.txt","size":\d+,"msg":"file uploaded"/);
    assert.match(logs, /"msg":"file download"/);
    assert.ok(!logs.includes(marker), "no contents in the logs");
    assert.ok(!logs.includes(server.token), "no token in the logs");
  });
});

describe("file RPCs with --no-files", () => {
  let server: FakeServer & { close(): Promise<void> };
  before(async () => {
    server = await startFakeServer();
  });
  after(() => server?.close());

  it("all three are PERMISSION_DENIED", async () => {
    const client = createDesktopClient({ baseUrl: server.url, token: server.token });
    assert.equal(await client.uploadFile(chunksOf(Buffer.from("x"), "a")).catch(code), "PermissionDenied");
    assert.equal(await download(client, "a").catch(code), "PermissionDenied");
    assert.equal(await client.listFiles({ path: "" }).catch(code), "PermissionDenied");
  });
});
