/**
 * The Screenshot stream. Frames are captured on demand, when the transport
 * asks for the next message (Connect waits for 'drain' before pulling), so a
 * slow reader gets fresh frames at its own pace: stale frames are never queued.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type ScreenshotRequest, type ScreenshotResponse, ScreenshotResponseSchema } from "../../../gen/desktop/v1/desktop_pb.js";
import type { Desktop } from "../../desktop/desktop.js";
import { InvalidInputError } from "../../desktop/errors.js";
import type { Point, Rect } from "../../desktop/geometry.js";
import { encodeFrame } from "../../desktop/image.js";
import type { ScreenChanges } from "../../desktop/screen-changes.js";
import { sleep } from "../../desktop/sleep.js";
import { toPbImage } from "./convert.js";
import { imageFormat, requiredRect, scaledSize } from "./validate.js";

/** Highest frame rate a stream may ask for, frames per second. */
export const MAX_FPS = 60;
/** Lowest non-zero frame rate, frames per second: one frame per 1000 s (an interval Node's timers can hold). */
export const MIN_FPS = 0.001;

export async function* screenshotStream(desktop: Desktop, req: ScreenshotRequest, signal: AbortSignal): AsyncGenerator<ScreenshotResponse> {
  const size = scaledSize(req.scaledSize, "scaled_size");
  const enc = imageFormat(req.format, req.quality, "screenshot");
  if (!(req.maxFps === 0 || (req.maxFps >= MIN_FPS && req.maxFps <= MAX_FPS)))
    throw new InvalidInputError("max_fps", `must be 0 (one frame) or between ${MIN_FPS} and ${MAX_FPS}, got ${req.maxFps}`);
  const { native } = await desktop.start();
  let region: Rect | undefined;
  if (req.region) {
    region = requiredRect(req.region, "region");
    if (region.x < 0 || region.y < 0 || region.x + region.width > native.width || region.y + region.height > native.height) {
      throw new InvalidInputError("region", `must lie within the ${native.width}x${native.height} screen`);
    }
  }
  const intervalMs = req.maxFps > 0 ? 1000 / req.maxFps : 0;
  const changes = await desktop.screenChanges();
  // With DAMAGE a still screen is never captured; all_frames and compared frames capture every interval.
  const onChange = !req.allFrames && changes.source === "damage";
  let sequence = 0n;
  let previous: Buffer | undefined;
  let pointer: Point | undefined;
  for (;;) {
    const started = performance.now();
    if (onChange && req.includeCursor) pointer = await desktop.cursorPosition();
    const frame = await desktop.capture({ region, includeCursor: req.includeCursor });
    if (req.allFrames || !previous || !previous.equals(frame.data)) {
      previous = frame.data;
      const image = await encodeFrame(frame, { ...enc, size });
      sequence++;
      yield create(ScreenshotResponseSchema, {
        image: toPbImage(image),
        nativeSize: native,
        sequence,
        capturedAt: timestampFromDate(frame.capturedAt),
        cursorOmitted: frame.cursorOmitted,
      });
    }
    if (intervalMs === 0) return;
    await sleep(Math.max(0, intervalMs - (performance.now() - started)), signal);
    if (onChange) await changeSince(started, changes, pointer && { at: pointer, now: () => desktop.cursorPosition() }, intervalMs, signal);
  }
}

/**
 * Until the screen has changed (blinks included) since `since`, or, when the
 * pointer is drawn, until it moved from `pointer.at` (looked at once per
 * interval). Captures nothing meanwhile.
 */
async function changeSince(
  since: number,
  changes: ScreenChanges,
  pointer: { at: Point; now: () => Promise<Point> } | undefined,
  intervalMs: number,
  signal: AbortSignal,
): Promise<void> {
  for (;;) {
    if (changes.lastChange(true) >= since) return;
    if (pointer) {
      const p = await pointer.now();
      if (p.x !== pointer.at.x || p.y !== pointer.at.y) return;
    }
    const done = new AbortController();
    const either = AbortSignal.any([signal, done.signal]);
    const waits = [changes.nextChange(either, true)];
    if (pointer) waits.push(sleep(intervalMs, either));
    try {
      await Promise.race(waits);
    } finally {
      done.abort();
    }
  }
}
