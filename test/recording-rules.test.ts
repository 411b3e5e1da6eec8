/**
 * The recording rules (docs/behaviour.md, Recording) through the service with
 * the generated client: ids, idempotence, limits, the idle stop and retention
 * (an injected clock), size limits, callers that leave, a stuck encoder, and
 * shutdown. Real ffmpeg on a small real desktop; the only fake is an encoder
 * that ignores SIGINT.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Code, ConnectError } from "@connectrpc/connect";
import { execa } from "execa";
import { DEFAULT_RECORDING_LIMITS } from "../src/server/rpc/stop-recording.js";
import { FakeClock } from "./helpers/clock.js";
import { processesMentioning, recordFor, until } from "./helpers/process.js";
import { stopRecording } from "./helpers/recording.js";
import { startTestServer, useTestServer } from "./helpers/server.js";

const code = (e: unknown) => ConnectError.from(e).code;
const SMALL = { width: 320, height: 240 };
const MINUTE = 60_000;
const IGNORES_SIGINT = fileURLToPath(new URL("fixtures/ffmpeg-ignoring-sigint", import.meta.url));

describe("Recording rules", () => {
  const clock = new FakeClock();
  const limits = { ...DEFAULT_RECORDING_LIMITS };
  const t = useTestServer({ geometry: SMALL, recordings: { clock, idleSpeedup: "off" }, recordingLimits: limits });
  /** Encoders recording `id` right now. */
  const encoders = (id: string) => processesMentioning(`${id}.`);

  it("recording_id must be a UUID: empty or malformed is INVALID_ARGUMENT naming the field", async () => {
    for (const recordingId of ["", "not-a-uuid", "123e4567-e89b-12d3-a456-42661417400", "../../etc/passwd"]) {
      await assert.rejects(
        t().grpc.startRecording({ recordingId }),
        (e) => code(e) === Code.InvalidArgument && /recording_id/.test((e as Error).message),
        recordingId,
      );
      await assert.rejects(stopRecording(t().grpc, recordingId), (e) => code(e) === Code.InvalidArgument, recordingId);
    }
  });

  it("recordings live in a private 0700 directory inside the service runtime dir", async () => {
    const { mode } = statSync(t().recordings.dir);
    assert.equal(mode & 0o777, 0o700);
    const id = randomUUID();
    await t().grpc.startRecording({ recordingId: id });
    const take = readdirSync(t().recordings.dir).find((n) => n.startsWith(id))!;
    assert.equal(statSync(join(t().recordings.dir, take)).mode & 0o777, 0o700);
    await stopRecording(t().grpc, id);
  });

  it("an unknown id is NOT_FOUND", async () => {
    await assert.rejects(stopRecording(t().grpc, randomUUID()), (e) => code(e) === Code.NotFound);
  });

  it("start is idempotent: starting an active recording again continues it", async () => {
    const id = randomUUID();
    await t().grpc.startRecording({ recordingId: id });
    await recordFor(1200);
    await t().grpc.startRecording({ recordingId: id });
    assert.equal(encoders(id).length, 1, "one encoder");
    await recordFor(300);
    const rec = await stopRecording(t().grpc, id);
    assert.ok(rec.info.durationSeconds >= 1.3, `one recording across both starts: ${rec.info.durationSeconds}s`);
  });

  it("stop is idempotent: stopping twice streams the same bytes; starting again records anew", async () => {
    const id = randomUUID();
    await t().grpc.startRecording({ recordingId: id });
    await recordFor(500);
    const first = await stopRecording(t().grpc, id);
    const second = await stopRecording(t().grpc, id);
    assert.ok(first.video.length > 0 && first.thumbnail.length > 0);
    assert.ok(first.video.equals(second.video) && first.thumbnail.equals(second.thumbnail), "same bytes");
    assert.deepEqual(second.info, first.info);

    await t().grpc.startRecording({ recordingId: id });
    await recordFor(800);
    const again = await stopRecording(t().grpc, id);
    assert.ok(!again.video.equals(first.video), "a finished recording started again gives new bytes");
    assert.ok(again.info.durationSeconds > first.info.durationSeconds);
  });

  it("at most 5 recordings run at once: the 6th is RESOURCE_EXHAUSTED until one stops", async () => {
    const ids = Array.from({ length: 6 }, () => randomUUID());
    await Promise.all(ids.slice(0, 5).map((recordingId) => t().grpc.startRecording({ recordingId })));
    await assert.rejects(t().grpc.startRecording({ recordingId: ids[5] }), (e) => code(e) === Code.ResourceExhausted);
    await stopRecording(t().grpc, ids[0]);
    await t().grpc.startRecording({ recordingId: ids[5] });
    for (const id of ids.slice(1)) await stopRecording(t().grpc, id);
  });

  it("a recording stops by itself after 10 minutes without an Action; every Action restarts that clock", async () => {
    const id = randomUUID();
    await t().grpc.startRecording({ recordingId: id });
    clock.advance(9 * MINUTE);
    await t().grpc.action({ action: { case: "mouseMove", value: { coordinate: { x: 10, y: 10 } } } });
    clock.advance(9 * MINUTE);
    for await (const _ of t().grpc.screenshot({})) break; // reading the screen is not activity
    assert.equal(encoders(id).length, 1, "18 minutes in, 9 since the last Action: still recording");
    clock.advance(1 * MINUTE + 10_000);
    await until(() => encoders(id).length === 0, "the encoder stops after 10 idle minutes");
    const rec = await stopRecording(t().grpc, id);
    assert.ok(rec.video.length > 0, "the idle-stopped recording is still returned");
  });

  it("finished recordings are deleted, files included, an hour after they finish", async () => {
    const id = randomUUID();
    await t().grpc.startRecording({ recordingId: id });
    await stopRecording(t().grpc, id);
    const files = () => readdirSync(t().recordings.dir).filter((n) => n.startsWith(id));
    assert.equal(files().length, 1);
    clock.advance(59 * MINUTE);
    await stopRecording(t().grpc, id);
    clock.advance(1 * MINUTE + 10_000);
    await until(() => files().length === 0, "the files are deleted");
    await assert.rejects(stopRecording(t().grpc, id), (e) => code(e) === Code.NotFound);
  });

  it("a video over the size limit is RESOURCE_EXHAUSTED and nothing is streamed", async () => {
    const id = randomUUID();
    await t().grpc.startRecording({ recordingId: id });
    const whole = await stopRecording(t().grpc, id);
    limits.maxVideoBytes = whole.video.length - 1;
    try {
      const received: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const m of t().grpc.stopRecording({ recordingId: id })) received.push(m.part.case!);
        })(),
        (e) => code(e) === Code.ResourceExhausted,
      );
      assert.deepEqual(received, [], "no message before the error");
    } finally {
      limits.maxVideoBytes = DEFAULT_RECORDING_LIMITS.maxVideoBytes;
    }
  });

  it("a thumbnail over its size limit is left out; the video is still sent", async () => {
    const id = randomUUID();
    await t().grpc.startRecording({ recordingId: id });
    const whole = await stopRecording(t().grpc, id);
    limits.maxThumbnailBytes = whole.thumbnail.length - 1;
    try {
      const rec = await stopRecording(t().grpc, id);
      assert.equal(rec.info.thumbnailSize, 0n);
      assert.ok(!rec.kinds.includes("thumbnailChunk"));
      assert.ok(rec.video.equals(whole.video));
    } finally {
      limits.maxThumbnailBytes = DEFAULT_RECORDING_LIMITS.maxThumbnailBytes;
    }
  });

  it("a caller that leaves before the stop finishes breaks nothing: the stop completes and the next call gets everything", async () => {
    const id = randomUUID();
    await t().grpc.startRecording({ recordingId: id });
    await recordFor(300);
    const leaving = new AbortController();
    const gone = t().grpc.stopRecording({ recordingId: id }, { signal: leaving.signal })[Symbol.asyncIterator]().next();
    gone.catch(() => undefined);
    await until(() => t().recordings.state(id) !== "recording", "the server begins the stop");
    leaving.abort();
    await until(() => t().recordings.state(id) === "finished", "the stop completes without its caller");
    assert.deepEqual(encoders(id), []);
    const rec = await stopRecording(t().grpc, id);
    assert.equal(rec.video.length, Number(rec.info.videoSize));
    assert.ok(rec.video.length > 0 && rec.thumbnail.length > 0);
  });

  it("buf curl starts a recording (gRPC, h2c)", async () => {
    const id = randomUUID();
    const r = await execa("node_modules/.bin/buf", [
      "curl",
      "--schema",
      "proto",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "-H",
      `Authorization: Bearer ${t().token}`,
      "-d",
      JSON.stringify({ recording_id: id, idle_speedup: false }),
      `${t().url}/desktop.v1.DesktopService/StartRecording`,
    ]);
    assert.equal(r.stdout.trim(), "{}");
    assert.equal(encoders(id).length, 1);
    assert.ok((await stopRecording(t().grpc, id)).video.length > 0);
  });
});

describe("Recording with an encoder that ignores SIGINT", () => {
  const t = useTestServer({ geometry: SMALL, ffmpeg: IGNORES_SIGINT, recordings: { idleSpeedup: "off", stopGraceMs: 500 } });

  it("is killed after the grace period and reported as DATA_LOSS (recording corrupted), every time it is asked", async () => {
    const id = randomUUID();
    await t().grpc.startRecording({ recordingId: id });
    await recordFor(300);
    for (let i = 0; i < 2; i++) {
      await assert.rejects(stopRecording(t().grpc, id), (e) => code(e) === Code.DataLoss && /corrupted/.test((e as Error).message));
    }
    assert.deepEqual(processesMentioning(`${id}.`), [], "encoder and its child are gone");
    await t().grpc.getDisplay({});
  });
});

describe("Recording at shutdown", () => {
  it("shutting down kills every encoder, deletes every file, and refuses new recordings with UNAVAILABLE", async () => {
    const t = await startTestServer({ geometry: SMALL, recordings: { idleSpeedup: "off" } });
    const ids = [randomUUID(), randomUUID()];
    for (const recordingId of ids) await t.grpc.startRecording({ recordingId });
    const finished = randomUUID();
    await t.grpc.startRecording({ recordingId: finished });
    await stopRecording(t.grpc, finished);
    assert.ok(existsSync(t.recordings.dir));
    await t.close();
    for (const id of ids) assert.deepEqual(processesMentioning(`${id}.`), []);
    assert.ok(!existsSync(t.recordings.dir), "the recordings directory is gone");
    await assert.rejects(t.recordings.start(randomUUID()), (e) => (e as Error).name === "DesktopUnavailableError");
  });
});
