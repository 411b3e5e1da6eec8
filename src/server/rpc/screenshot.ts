/**
 * The Screenshot stream. Frames are captured on demand, when the transport
 * asks for the next message (Connect waits for 'drain' before pulling), so a
 * slow reader gets fresh frames at its own pace: stale frames are never queued.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type ScreenshotRequest, type ScreenshotResponse, ScreenshotResponseSchema } from "../../../gen/desktop/v1/desktop_pb.js";
import type { DesktopHost } from "../../desktop/desktop.js";
import { InvalidInputError } from "../../desktop/errors.js";
import type { Point, Rect } from "../../desktop/geometry.js";
import type { ScreenChanges } from "../../desktop/screen-changes.js";
import { toPbImage } from "./convert.js";
import { FrameIds } from "./frame-ids.js";
import { withKeepalive } from "./keepalive.js";
import type { SharedFrames } from "./shared-frames.js";
import { imageFormat, requiredRect, scaledSize } from "./validate.js";

/** Highest frame rate a stream may ask for, frames per second. */
export const MAX_FPS = 60;
/** Lowest non-zero frame rate, frames per second: one frame per 1000 s (an interval Node's timers can hold). */
export const MIN_FPS = 0.001;
/** A reader that takes longer than this to ask for the next frame sets the pace, ms. */
const READER_SLACK_MS = 2;
/** How much later than the last capture a polling stream's next must begin, ms. */
const SOONEST_NEXT_MS = 0.001;
/** Keep-alive interval bounds, ms. */
export const KEEPALIVE_MS = { min: 1000, max: 600_000 };

/**
 * One stream: frames from the feed it shares with streams that ask the same
 * (src/server/rpc/shared-frames.ts), paced by `max_fps`, sent when they
 * differ from the last one sent (always, with all_frames).
 */
export async function* screenshotStream(
  host: DesktopHost,
  frames: SharedFrames,
  req: ScreenshotRequest,
  signal: AbortSignal,
  frameIds = new FrameIds(),
): AsyncGenerator<ScreenshotResponse> {
  const size = scaledSize(req.scaledSize, "scaled_size");
  const enc = imageFormat(req.format, req.quality, "screenshot");
  if (!(req.maxFps === 0 || (req.maxFps >= MIN_FPS && req.maxFps <= MAX_FPS)))
    throw new InvalidInputError("max_fps", `must be 0 (one frame) or between ${MIN_FPS} and ${MAX_FPS}, got ${req.maxFps}`);
  const keepaliveMs = req.keepaliveMs;
  if (keepaliveMs !== 0 && (keepaliveMs < KEEPALIVE_MS.min || keepaliveMs > KEEPALIVE_MS.max))
    throw new InvalidInputError(
      "keepalive_ms",
      `must be 0 (none) or between ${KEEPALIVE_MS.min} and ${KEEPALIVE_MS.max}, got ${keepaliveMs}`,
    );
  const session = await host.session(signal);
  const { native, changes } = session;
  // The stream ends with its desktop (UNAVAILABLE, saying why: died, replaced, reset), keep-alives or not.
  const live = AbortSignal.any([signal, session.lost]);
  const clock = changes.clock;
  let region: Rect | undefined;
  if (req.region) {
    region = requiredRect(req.region, "region");
    if (region.x < 0 || region.y < 0 || region.x + region.width > native.width || region.y + region.height > native.height) {
      throw new InvalidInputError("region", `must lie within the ${native.width}x${native.height} screen`);
    }
  }
  // A whole-screen frame's coordinates are in its own size; a region's in native pixels.
  const frameSpace = region ? native : (size ?? native);
  const intervalMs = req.maxFps > 0 ? 1000 / req.maxFps : 0;
  // With DAMAGE a still screen is never captured; all_frames and compared frames capture every interval.
  const onChange = !req.allFrames && changes.source === "damage";
  const feed = frames.join(session, { region, includeCursor: req.includeCursor, encoding: { ...enc, size } });
  const keepalive = () => create(ScreenshotResponseSchema, { keepalive: true, nativeSize: native });
  yield* withKeepalive(paced(), keepaliveMs, keepalive, clock);

  async function* paced(): AsyncGenerator<ScreenshotResponse> {
    try {
      let sequence = 0n;
      let sent = -1;
      let pointer: Point | undefined;
      // A frame is current when captured after the screen's last change (DAMAGE
      // tells; the pointer does not, so with it drawn only a new capture is);
      // a polling stream takes one up to half an interval old, so streams at
      // one pace share captures.
      let notBefore = onChange ? (req.includeCursor ? clock.now() : changes.lastChange(true)) : clock.now() - intervalMs / 2;
      let due = clock.now();
      for (;;) {
        const started = clock.now();
        // Paced by a schedule, not by the last frame's end: timers fire late
        // and captures vary, so frames late by the work before them (two
        // intervals' worth at most) come sooner after, never within half an
        // interval of the one before, holding the rate at max_fps. A reader
        // that takes its time, or a wait for a change, starts a new schedule
        // instead (below): only our own lateness is made up.
        due = Math.max(due, started - 2 * intervalMs);
        if (onChange && req.includeCursor) pointer = await session.cursorPosition();
        const shot = await feed.shot(notBefore);
        if (req.allFrames || shot.version !== sent) {
          sent = shot.version;
          sequence++;
          const offered = clock.now();
          yield create(ScreenshotResponseSchema, {
            image: toPbImage(shot.image, frameIds.register(session, frameSpace)),
            nativeSize: native,
            sequence,
            capturedAt: timestampFromDate(shot.capturedAt),
            cursorOmitted: shot.cursorOmitted,
          });
          if (clock.now() - offered > READER_SLACK_MS) due = clock.now() - intervalMs;
        }
        if (intervalMs === 0) return;
        due += intervalMs;
        await clock.sleep(Math.max(0, Math.max(due, started + intervalMs / 2) - clock.now()), live);
        const looked = clock.now();
        notBefore = onChange
          ? await changeSince(started, changes, pointer && { at: pointer, now: () => session.cursorPosition() }, intervalMs, live)
          : // A frame sooner than an interval after the last (the schedule's
            // making up) still is a new capture, never the last one again.
            Math.max(clock.now() - intervalMs / 2, shot.startedAt + SOONEST_NEXT_MS);
        if (clock.now() - looked > intervalMs) due = clock.now();
      }
    } finally {
      feed.leave();
    }
  }
}

/**
 * Until the screen has changed (blinks included) since `since`, or, when the
 * pointer is drawn, until it moved from `pointer.at` (looked at once per
 * interval). Captures nothing meanwhile. Resolves to the time from which a
 * frame shows what changed: the change's, or the look that saw the pointer
 * move (the change log's clock ms).
 */
async function changeSince(
  since: number,
  changes: ScreenChanges,
  pointer: { at: Point; now: () => Promise<Point> } | undefined,
  intervalMs: number,
  signal: AbortSignal,
): Promise<number> {
  for (;;) {
    const changed = changes.lastChange(true);
    if (changed >= since) return changed;
    if (pointer) {
      const lookedAt = changes.clock.now();
      const p = await pointer.now();
      if (p.x !== pointer.at.x || p.y !== pointer.at.y) return lookedAt;
    }
    const done = new AbortController();
    const either = AbortSignal.any([signal, done.signal]);
    const waits = [changes.nextChange(either, true)];
    if (pointer) waits.push(changes.clock.sleep(intervalMs, either));
    try {
      await Promise.race(waits);
    } finally {
      done.abort();
    }
  }
}
