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
import { ScreenChangeSource } from "../gen/desktop/v1/desktop_pb.js";
import { PortableDesktopCommandError } from "../src/desktop/portable/cli.js";
import { type PortableHost, portableHost } from "../src/desktop/portable/host.js";
import type { StallLimits } from "../src/desktop/stall.js";
import { alive, processesMentioning, until } from "./helpers/process.js";
import { stopRecording } from "./helpers/recording.js";
import { PORTABLEDESKTOP_STANDIN, startPortableServer, testLogger } from "./helpers/server.js";

/** An environment of its own for one desktop's CLI; the stand-in's failure injection (PDSTUB_*) is set in it. */
const ownEnv = (): NodeJS.ProcessEnv => ({ ...process.env });

describe("PortableDesktop failures (stand-in CLI)", () => {
  const open: PortableHost[] = [];
  const desktop = (opts: { limits?: StallLimits; env?: NodeJS.ProcessEnv } = {}) => {
    const d = portableHost({
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
      const err = await (await t.host.session()).input.move({ x: 1, y: 1 }).catch((e: unknown) => e);
      assert.ok(err instanceof PortableDesktopCommandError);
      assert.deepEqual([err.command, err.exitCode, err.stderr], [["mouse", "move", "1", "1"], 1, "error: injected failure"]);
    } finally {
      await t.close();
    }
  });

  it("up printing malformed JSON is a clear error", async () => {
    await assert.rejects(desktop({ env: { ...ownEnv(), PDSTUB_UP: "malformed" } }).session(), /portabledesktop up: unparsable JSON output/);
  });

  it("up reporting vncPort 0 is rejected, and the session it started is stopped", async () => {
    await assert.rejects(desktop({ env: { ...ownEnv(), PDSTUB_UP: "port0" } }).session(), /bad vncPort 0/);
  });

  it("up reporting an unparsable geometry is rejected, never read as 0x0", async () => {
    await assert.rejects(desktop({ env: { ...ownEnv(), PDSTUB_UP: "badgeometry" } }).session(), /unparsable geometry "wide"/);
  });

  it("a command that hangs is killed after the per-command timeout", async () => {
    const env = ownEnv();
    const d = desktop({ limits: { requestTimeoutMs: 700, replaceAfterMs: 60_000 }, env });
    const s = await d.session();
    env.PDSTUB_HANG = "cursor";
    const started = Date.now();
    const err = await s.cursorPosition().catch((e: unknown) => e);
    assert.ok(err instanceof PortableDesktopCommandError, String(err));
    assert.match(err.message, /did not answer within 700 ms \(stalled; killed\)/);
    assert.ok(Date.now() - started < 5000);
    delete env.PDSTUB_HANG;
    assert.ok(Number.isInteger((await s.cursorPosition()).x), "the desktop still works");
  });

  it("a desktop that dies between calls is replaced on the next call", async () => {
    const d = desktop();
    const before = await d.session();
    for (const pid of before.pids) process.kill(pid, "SIGKILL");
    await until(() => !before.pids.some(alive), "the desktop's processes are gone");
    const after = await d.session();
    await after.input.move({ x: 10, y: 20 });
    assert.notDeepEqual(after.pids, before.pids);
    assert.deepEqual(await after.cursorPosition(), { x: 10, y: 20 });
    assert.equal(before.lost.aborted, true, "the dead desktop's session is lost");
  });

  it("close runs down and leaves no process behind", async () => {
    const d = desktop();
    const { pids } = await d.session();
    assert.ok(pids.length >= 1 && pids.every(alive));
    await d.close();
    assert.deepEqual(pids.filter(alive), []);
    await assert.rejects(d.session(), /desktop closed/);
  });

  it("a session whose X display cannot be joined (a cookie only the CLI knows): input and frames work, screen changes come from frames, windows and the clipboard are UNIMPLEMENTED saying why", async () => {
    const t = await startPortableServer({ geometry: { width: 640, height: 480 }, env: { ...ownEnv(), PDSTUB_XAUTH: "1" } });
    try {
      assert.equal((await t.grpc.getDisplay({})).screenChanges, ScreenChangeSource.FRAMES);
      const res = await t.grpc.action({ action: { case: "mouseMove", value: { coordinate: { x: 30, y: 40 } } }, settle: {} });
      assert.deepEqual([res.cursor?.x, res.cursor?.y, res.settle?.source], [30, 40, ScreenChangeSource.FRAMES]);
      for (const call of [() => t.grpc.listWindows({}), () => t.grpc.getClipboard({}), () => t.grpc.setClipboard({ text: "x" })]) {
        const err = await call().then(
          () => undefined,
          (e) => ConnectError.from(e),
        );
        assert.equal(err?.code, Code.Unimplemented, String(err));
        assert.match(err.rawMessage, /this portabledesktop session's X display cannot be joined \(.+\)/);
      }
    } finally {
      await t.close();
    }
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
