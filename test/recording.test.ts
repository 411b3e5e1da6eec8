/**
 * Recordings for real: an encoder records the real desktop while actions run,
 * and what StopRecording streams back is checked with ffprobe and sharp, on
 * every contract backend.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Code, ConnectError } from "@connectrpc/connect";
import { execa } from "execa";
import sharp from "sharp";
import { CHUNK_BYTES } from "../src/server/rpc/stop-recording.js";
import { eventually, recordFor } from "./helpers/process.js";
import { probe, type StoppedRecording, stopRecording } from "./helpers/recording.js";
import { contractBackends, useServer, useTestServer } from "./helpers/server.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const code = (e: unknown) => ConnectError.from(e).code;

for (const backend of contractBackends()) {
  describe(`Recording on ${backend.name}`, () => {
    const t = useServer(() => backend.start({ open: [["xterm", "-geometry", "300x80+0+0"]] }));
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), "desktopd-rec-"));
      // Wait until the xterm runs a command: it is mapped and focused.
      const ready = join(dir, "ready");
      await eventually(async () => {
        await t().grpc.action({ action: { case: "leftClick", value: { coordinate: { x: 300, y: 300 } } } });
        await t().grpc.action({ action: { case: "type", value: { text: `touch ${ready}\n` } } });
        return eventually(() => readFile(ready), 1500);
      }, 15000);
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    const id = randomUUID();
    let whole: StoppedRecording;

    it("records the screen while actions run: an H.264 MP4 at native size, as long as the wall time, and a JPEG thumbnail", async () => {
      await t().grpc.startRecording({ recordingId: id, idleSpeedup: false });
      const started = performance.now();
      await t().grpc.action({ action: { case: "leftClick", value: { coordinate: { x: 300, y: 300 } } } });
      // Text scrolling for a while: a video of several chunks. A bounded amount
      // (400 KB as hex): an endless flood of random text is megabytes of video a
      // second, and a slow machine stretching the test then passes the size limit.
      await t().grpc.action({ action: { case: "type", value: { text: "od -An -tx1 -N 400000 /dev/urandom\n" } } });
      for (let i = 0; i < 6; i++) {
        await t().grpc.action({ action: { case: "leftClick", value: { coordinate: { x: 300 + i * 40, y: 300 } } } });
        await t().grpc.action({ action: { case: "type", value: { text: `echo frame ${i}\n` } } });
        await recordFor(400);
      }
      await t().grpc.action({ action: { case: "key", value: { text: "ctrl+c" } } });
      const wallS = (performance.now() - started) / 1000;
      whole = await stopRecording(t().grpc, id);
      const rec = whole;

      assert.equal(rec.kinds[0], "info", "the first message is info");
      const firstThumb = rec.kinds.indexOf("thumbnailChunk");
      assert.ok(
        rec.kinds.slice(1, firstThumb).every((k) => k === "videoChunk"),
        "video chunks, then thumbnail chunks",
      );
      assert.ok(
        rec.chunkSizes.every((n) => n > 0 && n <= CHUNK_BYTES),
        "every chunk is at most 1 MiB",
      );
      assert.equal(Number(rec.info.videoSize), rec.video.length);
      assert.equal(Number(rec.info.thumbnailSize), rec.thumbnail.length);

      const file = join(dir, `${id}.mp4`);
      await writeFile(file, rec.video);
      const p = await probe(file);
      assert.deepEqual([p.codec, p.width, p.height, p.pixFmt, p.fps], ["h264", 1920, 1080, "yuv420p", "30/1"]);
      assert.ok(Math.abs(p.duration - wallS) <= 0.2 * wallS, `duration ${p.duration}s vs ${wallS.toFixed(2)}s recorded`);
      assert.ok(Math.abs(rec.info.durationSeconds - p.duration) < 0.1, `info says ${rec.info.durationSeconds}s, ffprobe ${p.duration}s`);

      const thumb = await sharp(rec.thumbnail).metadata();
      assert.deepEqual([thumb.format, thumb.width, thumb.height], ["jpeg", 1920, 1080]);
    });

    it("a client that leaves mid-stream breaks neither the recording nor the server: the next stop streams the same bytes", async () => {
      assert.ok(whole.kinds.filter((k) => k === "videoChunk").length >= 2, `a video of several chunks (${whole.video.length} bytes)`);
      const leaving = new AbortController();
      await assert.rejects(
        (async () => {
          for await (const m of t().grpc.stopRecording({ recordingId: id }, { signal: leaving.signal }))
            if (m.part.case === "videoChunk") leaving.abort();
        })(),
        (e) => code(e) === Code.Canceled,
      );
      const again = await stopRecording(t().grpc, id);
      assert.ok(again.video.equals(whole.video) && again.thumbnail.equals(whole.thumbnail));
      await t().grpc.getDisplay({});
    });
  });
}

describe("Idle speed-up (built-in backend)", () => {
  const t = useTestServer();

  it("plays idle spans 20x faster: a recording idle most of the time is much shorter than the wall time, and still valid", async () => {
    const id = randomUUID();
    await t().grpc.startRecording({ recordingId: id, idleSpeedup: true });
    const started = performance.now();
    await t().grpc.action({ action: { case: "mouseMove", value: { coordinate: { x: 100, y: 100 } } } });
    await recordFor(4000);
    await t().grpc.action({ action: { case: "mouseMove", value: { coordinate: { x: 900, y: 600 } } } });
    await recordFor(300);
    const wallS = (performance.now() - started) / 1000;
    const rec = await stopRecording(t().grpc, id);
    const dir = await mkdtemp(join(tmpdir(), "desktopd-rec-"));
    try {
      await writeFile(join(dir, "v.mp4"), rec.video);
      const p = await probe(join(dir, "v.mp4"));
      assert.deepEqual([p.codec, p.width, p.height, p.fps], ["h264", 1920, 1080, "30/1"]);
      assert.ok(p.duration > 0 && p.duration < 0.4 * wallS, `${p.duration}s of video for ${wallS.toFixed(2)}s recorded`);
      assert.equal((await sharp(rec.thumbnail).metadata()).format, "jpeg");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("desktopd record (CLI)", () => {
  const t = useTestServer({ geometry: { width: 640, height: 480 } });

  it("`record start` prints the id; `record stop` downloads the MP4 and thumbnail with progress, leaving no partial files", async () => {
    const dir = await mkdtemp(join(tmpdir(), "desktopd-cli-"));
    const env = { DESKTOPD_URL: t().url, DESKTOPD_TOKEN: t().token };
    try {
      const started = await execa("node", ["--import", "tsx", MAIN, "record", "start", "--no-idle-speedup"], { env });
      const id = started.stdout.trim();
      assert.match(id, /^[0-9a-f-]{36}$/);
      await t().grpc.action({ action: { case: "mouseMove", value: { coordinate: { x: 200, y: 200 } } } });
      await recordFor(800);
      const [video, thumbnail] = [join(dir, "out.mp4"), join(dir, "out.jpg")];
      const stopped = await execa("node", ["--import", "tsx", MAIN, "record", "stop", "--id", id, "-o", video, "--thumbnail", thumbnail], {
        env,
      });
      assert.match(stopped.stderr, /100% /);
      const p = await probe(video);
      assert.deepEqual([p.codec, p.width, p.height], ["h264", 640, 480]);
      assert.equal((await sharp(await readFile(thumbnail)).metadata()).format, "jpeg");
      assert.deepEqual((await readdir(dir)).sort(), ["out.jpg", "out.mp4"]);

      const unknown = await execa("node", ["--import", "tsx", MAIN, "record", "stop", "--id", randomUUID(), "-o", join(dir, "x.mp4")], {
        env,
        reject: false,
      });
      assert.equal(unknown.exitCode, 1);
      assert.match(unknown.stderr, /not found/);
      assert.deepEqual((await readdir(dir)).sort(), ["out.jpg", "out.mp4"], "nothing written for a failed stop");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
