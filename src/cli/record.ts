/**
 * `desktopd record start|stop`: recordings for people. `stop` writes the MP4
 * (and the thumbnail) through a temporary file, so an interrupted download
 * never leaves a truncated video under the real name.
 */
import { randomUUID } from "node:crypto";
import { type FileHandle, open, rename, rm, stat } from "node:fs/promises";
import type { DesktopClient } from "../client/client.js";
import { CLIENT_SETTINGS, cliClient } from "./client.js";
import { defineCommand, flag, text, UsageError } from "./command.js";
import { progressBar } from "./progress.js";

export const recordStart = defineCommand({
  name: "record start",
  summary: "start (or continue) a screen recording; prints its id",
  settings: {
    id: text({ flag: "id", value: "UUID", defaultHelp: "a new UUID", help: "the recording's id" }),
    idleSpeedup: flag({ flag: "idle-speedup", help: "play idle spans faster (default: the server's setting)" }),
    noIdleSpeedup: flag({ flag: "no-idle-speedup", help: "keep idle spans at normal speed" }),
    ...CLIENT_SETTINGS,
  },
  async run(values, { env }) {
    if (values.idleSpeedup && values.noIdleSpeedup) throw new UsageError("--idle-speedup and --no-idle-speedup contradict each other");
    const recordingId = values.id ?? randomUUID();
    const idleSpeedup = values.idleSpeedup ? true : values.noIdleSpeedup ? false : undefined;
    await cliClient(values, env).startRecording({ recordingId, idleSpeedup });
    process.stdout.write(`${recordingId}\n`);
  },
});

export const recordStop = defineCommand({
  name: "record stop",
  summary: "stop a recording and download the MP4 (and its JPEG thumbnail), with progress",
  settings: {
    id: text({ flag: "id", value: "UUID", help: "the recording's id (required)" }),
    output: text({ flag: "output", short: "o", value: "FILE.mp4", help: "where the video goes (required)" }),
    thumbnail: text({ flag: "thumbnail", value: "FILE.jpg", help: "where the thumbnail goes" }),
    ...CLIENT_SETTINGS,
  },
  async run(values, { env }) {
    if (!values.id) throw new UsageError("--id UUID is required");
    if (!values.output) throw new UsageError("-o FILE.mp4 is required");
    await download(cliClient(values, env), values.id, values.output, values.thumbnail);
  },
});

async function download(client: DesktopClient, recordingId: string, output: string, thumbnailPath?: string): Promise<void> {
  const files: { path: string; part: string; fh?: FileHandle }[] = [{ path: output, part: `${output}.part` }];
  if (thumbnailPath) files.push({ path: thumbnailPath, part: `${thumbnailPath}.part` });
  const progress = progressBar(process.stderr);
  let total = 0;
  let received = 0;
  let seconds = 0;
  try {
    for (const f of files) f.fh = await open(f.part, "w", 0o600);
    for await (const m of client.stopRecording({ recordingId })) {
      const part = m.part;
      if (part.case === "info") {
        total = Number(part.value.videoSize) + (thumbnailPath ? Number(part.value.thumbnailSize) : 0);
        seconds = part.value.durationSeconds;
        continue;
      }
      const target = part.case === "videoChunk" ? files[0] : part.case === "thumbnailChunk" ? files[1] : undefined;
      if (!target?.fh || !part.value) continue;
      await target.fh.write(part.value);
      received += part.value.length;
      progress(received, total);
    }
    for (const f of files) {
      await f.fh?.close();
      f.fh = undefined;
    }
    await rename(files[0].part, files[0].path);
    if (files[1]) {
      const { size } = await stat(files[1].part);
      if (size > 0) await rename(files[1].part, files[1].path);
      else process.stderr.write(`${files[1].path}: the recording has no thumbnail\n`);
    }
    process.stderr.write(`${output}: ${seconds.toFixed(1)} s of video\n`);
  } finally {
    for (const f of files) {
      await f.fh?.close().catch(() => undefined);
      await rm(f.part, { force: true });
    }
  }
}
