/**
 * The one fact we need from an MP4 without spawning ffprobe: its duration,
 * from the movie header (ISO/IEC 14496-12 §8.2.2 `mvhd` inside `moov`). An
 * encoder killed before it finished writes no `moov`, so "no duration" also
 * means "not a usable file".
 */
import { type FileHandle, open } from "node:fs/promises";

/** Duration in seconds, or undefined when the file has no movie header. */
export async function mp4Duration(path: string): Promise<number | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch {
    return undefined;
  }
  try {
    const size = (await fh.stat()).size;
    const moov = await findBox(fh, 0, size, "moov");
    const mvhd = moov && (await findBox(fh, moov.body, moov.end, "mvhd"));
    if (!mvhd) return undefined;
    const b = await read(fh, mvhd.body, 32);
    if (b.length < 20) return undefined;
    // version 0: 32-bit times; version 1: 64-bit creation/modification/duration.
    const v1 = b[0] === 1;
    const timescale = v1 ? b.readUInt32BE(20) : b.readUInt32BE(12);
    const duration = v1 ? Number(b.readBigUInt64BE(24)) : b.readUInt32BE(16);
    return timescale > 0 ? duration / timescale : undefined;
  } finally {
    await fh.close();
  }
}

interface Box {
  /** Offset of the box's contents (after its header). */
  body: number;
  /** Offset just past the box. */
  end: number;
}

/** The first box of `type` among the sibling boxes in [start, end). */
async function findBox(fh: FileHandle, start: number, end: number, type: string): Promise<Box | undefined> {
  let at = start;
  while (at + 8 <= end) {
    const h = await read(fh, at, 16);
    if (h.length < 8) return undefined;
    let size = h.readUInt32BE(0);
    let header = 8;
    if (size === 1) {
      if (h.length < 16) return undefined;
      size = Number(h.readBigUInt64BE(8));
      header = 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < header) return undefined;
    if (h.toString("latin1", 4, 8) === type) return { body: at + header, end: Math.min(end, at + size) };
    at += size;
  }
  return undefined;
}

async function read(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}
