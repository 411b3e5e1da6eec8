/**
 * `desktopd record start|stop`: recordings for people. `stop` writes the MP4
 * (and the thumbnail) through a temporary file, so an interrupted download
 * never leaves a truncated video under the real name.
 */
import { randomUUID } from "node:crypto";
import { type FileHandle, open, rename, rm, stat } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { DesktopClient } from "../client/client.js";
import { CLIENT_FLAGS, CLIENT_USAGE, cliClient } from "./client.js";
import { progressBar } from "./progress.js";

export const RECORD_USAGE = `desktopd record start [--id UUID] [--idle-speedup | --no-idle-speedup]
  desktopd record stop --id UUID -o FILE.mp4 [--thumbnail FILE.jpg]
  start       starts (or continues) a recording; prints its id (new UUID unless --id)
  stop        stops it and downloads the MP4 (and the JPEG thumbnail), with progress
  --idle-speedup / --no-idle-speedup   play idle spans 20x faster, or not
              (default: the server's setting)
${CLIENT_USAGE}`;

export async function record(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      id: { type: "string" },
      output: { type: "string", short: "o" },
      thumbnail: { type: "string" },
      "idle-speedup": { type: "boolean" },
      "no-idle-speedup": { type: "boolean" },
      ...CLIENT_FLAGS,
    },
  });
  const [sub, ...extra] = positionals;
  if ((sub !== "start" && sub !== "stop") || extra.length > 0) throw new Error(`usage: ${RECORD_USAGE}`);
  const client = cliClient(values);
  if (sub === "start") {
    if (values["idle-speedup"] && values["no-idle-speedup"]) throw new Error("--idle-speedup and --no-idle-speedup contradict each other");
    const recordingId = values.id ?? randomUUID();
    const idleSpeedup = values["idle-speedup"] ? true : values["no-idle-speedup"] ? false : undefined;
    await client.startRecording({ recordingId, idleSpeedup });
    process.stdout.write(`${recordingId}\n`);
    return;
  }
  if (!values.id) throw new Error("--id UUID is required");
  if (!values.output) throw new Error("-o FILE.mp4 is required");
  await download(client, values.id, values.output, values.thumbnail);
}

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
      await f.fh!.close();
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
