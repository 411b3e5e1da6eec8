/** Reading recordings back the way a client and a reviewer would. */
import { execa } from "execa";
import type { RecordingInfo } from "../../gen/desktop/v1/desktop_pb.js";
import type { DesktopClient } from "../../src/client/client.js";

export interface StoppedRecording {
  info: RecordingInfo;
  video: Buffer;
  thumbnail: Buffer;
  /** Message kinds in order: "info", "videoChunk", "thumbnailChunk". */
  kinds: string[];
  /** Sizes of every chunk, bytes. */
  chunkSizes: number[];
}

/** Calls StopRecording and gathers the whole stream. */
export async function stopRecording(client: DesktopClient, recordingId: string): Promise<StoppedRecording> {
  const out: StoppedRecording = { info: undefined!, video: Buffer.alloc(0), thumbnail: Buffer.alloc(0), kinds: [], chunkSizes: [] };
  const video: Buffer[] = [];
  const thumbnail: Buffer[] = [];
  for await (const m of client.stopRecording({ recordingId })) {
    out.kinds.push(m.part.case!);
    if (m.part.case === "info") out.info = m.part.value;
    else if (m.part.case) {
      out.chunkSizes.push(m.part.value.length);
      (m.part.case === "videoChunk" ? video : thumbnail).push(Buffer.from(m.part.value));
    }
  }
  out.video = Buffer.concat(video);
  out.thumbnail = Buffer.concat(thumbnail);
  return out;
}

/** What ffprobe says about an MP4's first video stream. */
export async function probe(
  file: string,
): Promise<{ codec: string; width: number; height: number; pixFmt: string; fps: string; duration: number }> {
  const { stdout } = await execa("ffprobe", [
    "-v",
    "error",
    "-select_streams",
    "v:0",
    "-show_entries",
    "stream=codec_name,width,height,pix_fmt,avg_frame_rate:format=duration",
    "-of",
    "json",
    file,
  ]);
  const j = JSON.parse(stdout);
  const s = j.streams[0];
  return {
    codec: s.codec_name,
    width: s.width,
    height: s.height,
    pixFmt: s.pix_fmt,
    fps: s.avg_frame_rate,
    duration: Number(j.format.duration),
  };
}
