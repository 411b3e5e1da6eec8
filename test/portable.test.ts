/**
 * PortableDesktop under failure: the stand-in CLI (test/fixtures) is told to
 * fail, print garbage, report port 0, hang, or lose its desktop; the backend
 * gives typed errors, kills what hangs, and replaces a dead session.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { PortableDesktopCommandError } from "../src/desktop/portable/cli.js";
import { PortableDesktop } from "../src/desktop/portable/portable.js";
import type { StallLimits } from "../src/desktop/stall.js";
import { alive, processesMentioning, until } from "./helpers/process.js";
import { stopRecording } from "./helpers/recording.js";
import { PORTABLEDESKTOP_STANDIN, startPortableServer, testLogger } from "./helpers/server.js";

/** An environment of its own for one desktop's CLI; the stand-in's failure injection (PDSTUB_*) is set in it. */
const ownEnv = (): NodeJS.ProcessEnv => ({ ...process.env });

describe("PortableDesktop failures (stand-in CLI)", () => {
  const open: PortableDesktop[] = [];
  const desktop = (opts: { limits?: StallLimits; env?: NodeJS.ProcessEnv } = {}) => {
    const d = new PortableDesktop({
      binary: PORTABLEDESKTOP_STANDIN,
      geometry: { width: 800, height: 600 },
      logger: testLogger(),
      ...opts,
    });
    open.push(d);
    return d;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((d) => d.close()));
  });

  it("a command that exits 1 is a typed error with the command, exit code and stderr, UNAVAILABLE over RPC", async () => {
    const env = ownEnv();
    const t = await startPortableServer({ env });
    try {
      env.PDSTUB_FAIL = "mouse";
      await assert.rejects(
        t.grpc.action({ action: { case: "leftClick", value: { coordinate: { x: 5, y: 5 } } } }),
        (err: ConnectError) => err.code === Code.Unavailable && /portabledesktop mouse move: exit 1: injected failure/.test(err.rawMessage),
      );
      const d = t.desktop;
      const err = await d.move({ x: 1, y: 1 }).catch((e: unknown) => e);
      assert.ok(err instanceof PortableDesktopCommandError);
      assert.deepEqual([err.command, err.exitCode, err.stderr], [["mouse", "move", "1", "1"], 1, "error: injected failure"]);
    } finally {
      await t.close();
    }
  });

  it("up printing malformed JSON is a clear error", async () => {
    await assert.rejects(desktop({ env: { ...ownEnv(), PDSTUB_UP: "malformed" } }).start(), /portabledesktop up: unparsable JSON output/);
  });

  it("up reporting vncPort 0 is rejected, and the session it started is stopped", async () => {
    await assert.rejects(desktop({ env: { ...ownEnv(), PDSTUB_UP: "port0" } }).start(), /bad vncPort 0/);
  });

  it("up reporting an unparsable geometry is rejected, never read as 0x0", async () => {
    await assert.rejects(desktop({ env: { ...ownEnv(), PDSTUB_UP: "badgeometry" } }).start(), /unparsable geometry "wide"/);
  });

  it("a command that hangs is killed after the per-command timeout", async () => {
    const env = ownEnv();
    const d = desktop({ limits: { requestTimeoutMs: 700, replaceAfterMs: 60_000 }, env });
    await d.start();
    env.PDSTUB_HANG = "cursor";
    const started = Date.now();
    const err = await d.cursorPosition().catch((e: unknown) => e);
    assert.ok(err instanceof PortableDesktopCommandError, String(err));
    assert.match(err.message, /did not answer within 700 ms \(stalled; killed\)/);
    assert.ok(Date.now() - started < 5000);
    delete env.PDSTUB_HANG;
    assert.ok(Number.isInteger((await d.cursorPosition()).x), "the desktop still works");
  });

  it("a desktop that dies between calls is replaced on the next call", async () => {
    const d = desktop();
    await d.start();
    const before = d.sessionInfo!;
    for (const pid of before.pids) process.kill(pid, "SIGKILL");
    await until(() => !before.pids.some(alive), "the desktop's processes are gone");
    await d.move({ x: 10, y: 20 });
    const after = d.sessionInfo!;
    assert.notDeepEqual(after.pids, before.pids);
    assert.deepEqual(await d.cursorPosition(), { x: 10, y: 20 });
  });

  it("close runs down and leaves no process behind", async () => {
    const d = desktop();
    await d.start();
    const { pids } = d.sessionInfo!;
    assert.ok(pids.length >= 1 && pids.every(alive));
    await d.close();
    assert.deepEqual(pids.filter(alive), []);
    await assert.rejects(d.start(), /desktop closed/);
  });

  it("StartRecording runs `portabledesktop record` with the idle speed-up flags, the thumbnail, and the file after `--`", async () => {
    const dir = await mkdtemp(join(tmpdir(), "desktopd-pdlog-"));
    const t = await startPortableServer({
      geometry: { width: 640, height: 480 },
      env: { ...ownEnv(), PDSTUB_LOG: join(dir, "argv.jsonl") },
    });
    try {
      const [fast, plain] = [randomUUID(), randomUUID()];
      await t.grpc.startRecording({ recordingId: fast, idleSpeedup: true });
      await t.grpc.startRecording({ recordingId: plain, idleSpeedup: false });
      for (const id of [fast, plain]) assert.ok((await stopRecording(t.grpc, id)).video.length > 0);
      const records = (await readFile(join(dir, "argv.jsonl"), "utf8"))
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as string[])
        .filter((a) => a[0] === "record");
      assert.equal(records.length, 2);
      const [withSpeedup, without] = records;
      assert.deepEqual(withSpeedup.slice(1, 4), ["--idle-speedup=20", "--idle-min-duration=0.35", "--idle-noise-tolerance=-38"]);
      for (const argv of records) {
        assert.equal(argv[argv.indexOf("--thumbnail") + 1].endsWith("thumbnail.jpg"), true);
        assert.ok(argv.at(-2) === "--" && argv.at(-1)!.endsWith("recording.mp4"), argv.join(" "));
      }
      assert.ok(!without.some((a) => a.startsWith("--idle")));
    } finally {
      await t.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a `record` that ignores SIGINT is killed after the grace period: DATA_LOSS, and nothing is left running", async () => {
    const env = { ...ownEnv(), PDSTUB_RECORD: "ignore-sigint" };
    const t = await startPortableServer({ geometry: { width: 640, height: 480 }, recordings: { stopGraceMs: 500 }, env });
    try {
      const id = randomUUID();
      await t.grpc.startRecording({ recordingId: id });
      await assert.rejects(
        stopRecording(t.grpc, id),
        (e) => ConnectError.from(e).code === Code.DataLoss && /corrupted/.test((e as Error).message),
      );
      assert.deepEqual(processesMentioning(`${id}.`), []);
    } finally {
      await t.close();
    }
  });
});
