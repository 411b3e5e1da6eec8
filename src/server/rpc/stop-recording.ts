/**
 * The StopRecording stream: one `info` message (sizes, duration), then the
 * MP4 in `video_chunk`s, then the JPEG in `thumbnail_chunk`s, each chunk at
 * most 1 MiB. A video over the limit is RESOURCE_EXHAUSTED with nothing sent;
 * a thumbnail over its limit is left out (thumbnail_size 0), the video still
 * sent. The stop itself is not tied to the call: a caller that leaves does not
 * cut it short, and the next StopRecording gets the same bytes.
 */

import { type FileHandle, open } from "node:fs/promises";
import { create } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import { type StopRecordingResponse, StopRecordingResponseSchema } from "../../../gen/desktop/v1/desktop_pb.js";
import { NotFoundError, ResourceExhaustedError } from "../../desktop/errors.js";
import type { Recordings } from "../../recordings/recordings.js";

/** Largest chunk sent, bytes (1 MiB). */
export const CHUNK_BYTES = 1024 * 1024;

export interface RecordingLimits {
  /** Largest video sent, bytes (100 MiB). */
  maxVideoBytes: number;
  /** Largest thumbnail sent, bytes (10 MiB); a larger one is dropped. */
  maxThumbnailBytes: number;
}

export const DEFAULT_RECORDING_LIMITS: RecordingLimits = { maxVideoBytes: 100 * 1024 * 1024, maxThumbnailBytes: 10 * 1024 * 1024 };

export async function* stopRecordingStream(
  recordings: Recordings,
  id: string,
  limits: RecordingLimits,
  logger: Logger,
): AsyncGenerator<StopRecordingResponse> {
  const art = await recordings.stop(id);
  if (art.videoSize > limits.maxVideoBytes) {
    throw new ResourceExhaustedError(`recording ${id}: the video is ${art.videoSize} bytes, over the ${limits.maxVideoBytes}-byte limit`);
  }
  let thumbnail = art.thumbnail;
  if (thumbnail && art.thumbnailSize > limits.maxThumbnailBytes) {
    logger.warn({ recording: id, thumbnailSize: art.thumbnailSize, limit: limits.maxThumbnailBytes }, "thumbnail over the limit: left out");
    thumbnail = undefined;
  }
  // Open both before the first message: a file deleted later (expiry, a
  // restart under the same id) still reads whole.
  const video = await open(art.video).catch(() => {
    throw new NotFoundError(`recording ${id} was discarded (restarted or expired)`);
  });
  const thumb = thumbnail ? await open(thumbnail).catch(() => undefined) : undefined;
  try {
    yield create(StopRecordingResponseSchema, {
      part: {
        case: "info",
        value: {
          videoSize: BigInt(art.videoSize),
          thumbnailSize: BigInt(thumb ? art.thumbnailSize : 0),
          durationSeconds: art.durationSeconds,
        },
      },
    });
    for await (const chunk of chunks(video)) yield create(StopRecordingResponseSchema, { part: { case: "videoChunk", value: chunk } });
    if (thumb)
      for await (const chunk of chunks(thumb))
        yield create(StopRecordingResponseSchema, { part: { case: "thumbnailChunk", value: chunk } });
  } finally {
    await video.close();
    await thumb?.close();
  }
}

async function* chunks(fh: FileHandle): AsyncGenerator<Uint8Array> {
  for (let position = 0; ; ) {
    const buf = Buffer.alloc(CHUNK_BYTES);
    const { bytesRead } = await fh.read(buf, 0, CHUNK_BYTES, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buf.subarray(0, bytesRead);
  }
}
