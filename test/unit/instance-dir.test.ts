/**
 * What a dead instance left in the runtime directory is swept at start, and
 * a pid is not an instance: a later process, or a process of a new container
 * on the same volume (its own pid namespace), may hold the same number. An
 * instance is its pid and start time (src/os/process.ts, processIdentity).
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { InstanceDir, sweepDeadInstances } from "../../src/os/instance-dir.js";
import { alive, processIdentity, SELF } from "../../src/os/process.js";
import { testLogger } from "../helpers/server.js";

describe("sweeping dead instances", () => {
  it("a directory whose pid now names another process (or this one) is swept; a live instance's is kept", async () => {
    const runtime = await mkdtemp(join(tmpdir(), "desktopd-sweep-"));
    try {
      const parent = process.ppid;
      const reused = [`builtin-${parent}.1-aaaaaa`, `builtin-${process.pid}.1-bbbbbb`];
      const live = [`builtin-${processIdentity(parent)}-cccccc`, `builtin-${parent}-dddddd`];
      for (const name of [...reused, ...live]) await mkdir(join(runtime, name));
      // The dead instance "recorded" the pid that is now the live parent: it must survive the sweep.
      await writeFile(join(runtime, reused[0], "leftovers"), `pid ${parent}\ngroup ${parent}\n`);
      const mine = await InstanceDir.create(runtime, "portable");
      await sweepDeadInstances(runtime, testLogger());
      assert.deepEqual((await readdir(runtime)).sort(), [...live, mine.path.split("/").pop()].sort());
      assert.ok(alive(parent), "the process that reused the pid was not killed");
      assert.match(mine.path, new RegExp(`/portable-${SELF.replace(".", "\\.")}-`), "named by pid and start time");
    } finally {
      await rm(runtime, { recursive: true, force: true });
    }
  });
});
