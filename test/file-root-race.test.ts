/**
 * The file root against a hostile desktop program: a program launched on the
 * desktop swaps a directory of the root with a symlink to the outside
 * (renameat2 RENAME_EXCHANGE, as fast as it can: test/fixtures/swap-dirs)
 * while downloads and uploads run through that directory. No download may
 * return the outside file, and nothing may be written outside, temporary
 * files included. Before paths were resolved beneath the root one
 * component at a time, 619 of 1,737 downloads read the outside file.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Code, ConnectError } from "@connectrpc/connect";
import { FileRoot } from "../src/files/file-root.js";
import { alive } from "./helpers/process.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const SWAPPER = fileURLToPath(new URL("fixtures/swap-dirs", import.meta.url));
/** How long transfers run against the swapping, ms. */
const RACE_MS = 6000;

describe("the file root while a desktop program swaps its directories for symlinks", () => {
  let base: string;
  let root: string;
  let outside: string;
  let t: TestServer;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), "desktopd-race-"));
    root = join(base, "root");
    outside = join(base, "outside");
    await mkdir(join(root, "d"), { recursive: true });
    await mkdir(outside);
    await writeFile(join(root, "d", "f"), "inside");
    await writeFile(join(outside, "f"), "outside");
    await symlink(outside, join(root, "swap"));
    t = await startTestServer({ files: new FileRoot(root) });
  });
  after(async () => {
    await t?.close();
    await rm(base, { recursive: true, force: true });
  });

  it("no download reads the outside file and no upload (nor its temporary file) lands outside", { timeout: 120_000 }, async (ctx) => {
    const { pid } = await t.grpc.launchApplication({ argv: [SWAPPER, join(root, "d"), join(root, "swap")] });
    const tally = { inside: 0, outside: 0, uploaded: 0, refused: new Map<string, number>() };
    const refused = (e: unknown) => {
      const c = Code[ConnectError.from(e).code];
      tally.refused.set(c, (tally.refused.get(c) ?? 0) + 1);
    };
    try {
      const end = Date.now() + RACE_MS;
      const downloads = async () => {
        while (Date.now() < end) {
          try {
            const parts: Uint8Array[] = [];
            for await (const r of t.grpc.downloadFile({ path: "d/f" })) if (r.part.case === "chunk") parts.push(r.part.value);
            const text = Buffer.concat(parts).toString();
            if (text === "outside") tally.outside++;
            else if (text === "inside") tally.inside++;
          } catch (e) {
            refused(e);
          }
        }
      };
      let n = 0;
      const uploads = async () => {
        while (Date.now() < end) {
          const path = `d/up-${n++}`;
          async function* one() {
            yield { path, data: Buffer.from("uploaded") };
          }
          await t.grpc.uploadFile(one()).then(() => tally.uploaded++, refused);
        }
      };
      await Promise.all([downloads(), downloads(), downloads(), uploads(), uploads()]);
      assert.ok(alive(pid), "the swapper ran all along");
    } finally {
      process.kill(pid, "SIGKILL");
    }
    ctx.diagnostic(
      `downloads inside ${tally.inside}, outside ${tally.outside}; uploads ${tally.uploaded}; refused ${JSON.stringify(Object.fromEntries(tally.refused))}`,
    );
    assert.equal(tally.outside, 0, "a download read the file outside the root");
    assert.deepEqual(await readdir(outside), ["f"], "nothing was written outside the root");
    assert.ok(tally.inside > 0 && tally.uploaded > 0, "transfers went through between the swaps too");
    assert.deepEqual(
      [...tally.refused.keys()].filter((c) => c !== "PermissionDenied" && c !== "NotFound"),
      [],
    );
  });
});
