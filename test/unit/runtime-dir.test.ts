/** The service runtime directory: private, owned by us, never someone else's. */
import assert from "node:assert/strict";
import { chown, mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { defaultRuntimeDir, serviceRuntimeDir } from "../../src/os/runtime-dir.js";

describe("service runtime dir", () => {
  it("is $XDG_RUNTIME_DIR/desktopd by default, else a per-user temp dir", () => {
    assert.equal(defaultRuntimeDir({ XDG_RUNTIME_DIR: "/run/user/1" }), "/run/user/1/desktopd");
    assert.equal(defaultRuntimeDir({}), join(tmpdir(), `desktopd-${process.getuid?.()}`));
  });

  it("is created 0700, and an existing one with a loose mode is made 0700 again", async () => {
    const parent = await mkdtemp(join(tmpdir(), "desktopd-rt-"));
    try {
      const dir = await serviceRuntimeDir(join(parent, "a", "b"));
      assert.equal((await stat(dir)).mode & 0o777, 0o700);
      const loose = join(parent, "loose");
      await mkdir(loose, { mode: 0o755 });
      await serviceRuntimeDir(loose);
      assert.equal((await stat(loose)).mode & 0o777, 0o700);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it("is refused when another user owns it", { skip: process.getuid!() !== 0 && "needs root to chown" }, async () => {
    const parent = await mkdtemp(join(tmpdir(), "desktopd-rt-"));
    try {
      const foreign = join(parent, "foreign");
      await mkdir(foreign, { mode: 0o700 });
      await chown(foreign, 65534, 65534);
      await assert.rejects(serviceRuntimeDir(foreign), /belongs to uid 65534/);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});
