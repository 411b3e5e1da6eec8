/**
 * Frames shared by the Screenshot streams that ask one desktop session for the
 * same thing (format, quality, size, region, pointer): one capture and one
 * encode per frame, however many subscribe. Before, each stream captured and encoded its own:
 * 50 subscribers got 0.78 fps each at a whole core, and each kept its own
 * copy of the last frame (RSS 179 -> 610 MB).
 *
 * A stream asks for a frame captured no earlier than a time it names (after
 * the change that woke it); a capture under way that began since then, or
 * the last one if it did, is shared, otherwise a new capture starts once the
 * one under way ends. Each feed tells an unchanged screen (its `version`
 * stays, and it is not encoded again) by the frame's version, or, from a
 * backend without one, by keeping the previous frame's pixels; a feed goes once
 * its last stream ends, so memory grows with the kinds of stream, not their
 * number.
 */
import type { DesktopSession } from "../../desktop/desktop.js";
import type { Rect } from "../../desktop/geometry.js";
import { type Encoded, type EncodeOptions, encodeFrame } from "../../desktop/image.js";

/** What a group of streams asks for. */
export interface FeedParams {
  /** Native-pixel region; the whole screen when unset. */
  region?: Rect;
  includeCursor: boolean;
  encoding: EncodeOptions;
}

/** One captured, encoded frame, shared by every stream that takes it. */
export interface Shot {
  image: Encoded;
  /** Grows when the pixels change; the same for an unchanged screen. */
  version: number;
  capturedAt: Date;
  cursorOmitted?: string;
  /** When its capture began, the session's clock ms. */
  startedAt: number;
}

export interface Feed {
  /** A shot whose capture began at or after `notBefore` (the session's clock ms). */
  shot(notBefore: number): Promise<Shot>;
  /** The stream is done with the feed. */
  leave(): void;
}

export class SharedFrames {
  /** Per desktop: a replaced desktop's feeds go with it. */
  private readonly feeds = new WeakMap<DesktopSession, Map<string, FeedState>>();

  /** The feed for `params` on `session`, shared with every stream that asks the same; `leave()` it when done. */
  join(session: DesktopSession, params: FeedParams): Feed {
    const key = JSON.stringify([params.region, params.includeCursor, params.encoding]);
    let feeds = this.feeds.get(session);
    if (!feeds) {
      feeds = new Map();
      this.feeds.set(session, feeds);
    }
    let state = feeds.get(key);
    if (!state) {
      state = new FeedState(session, params);
      feeds.set(key, state);
    }
    const feed = state;
    const all = feeds;
    feed.streams++;
    let left = false;
    return {
      shot: (notBefore) => feed.shot(notBefore),
      leave: () => {
        if (left) return;
        left = true;
        if (--feed.streams === 0) all.delete(key);
      },
    };
  }

  /** Feeds with streams on `session` now (one per kind of stream). */
  size(session: DesktopSession): number {
    return this.feeds.get(session)?.size ?? 0;
  }
}

class FeedState {
  streams = 0;
  private latest?: Shot;
  private previous?: Buffer;
  private previousVersion?: string;
  private version = 0;
  private inflight?: { startedAt: number; shot: Promise<Shot> };

  constructor(
    private readonly session: DesktopSession,
    private readonly params: FeedParams,
  ) {}

  async shot(notBefore: number): Promise<Shot> {
    for (;;) {
      if (this.latest && this.latest.startedAt >= notBefore) return this.latest;
      const running = this.inflight;
      if (!running) return this.take();
      if (running.startedAt >= notBefore) return running.shot;
      await running.shot.catch(() => undefined);
    }
  }

  private take(): Promise<Shot> {
    const startedAt = this.session.changes.clock.now();
    const shot = this.capture(startedAt);
    this.inflight = { startedAt, shot };
    void shot.then(
      (s) => {
        this.latest = s;
      },
      () => undefined,
    );
    void shot
      .finally(() => {
        if (this.inflight?.shot === shot) this.inflight = undefined;
      })
      .catch(() => undefined);
    return shot;
  }

  private async capture(startedAt: number): Promise<Shot> {
    const { region, includeCursor, encoding } = this.params;
    const frame = await this.session.capture({ region, includeCursor, ...(encoding.size && { size: encoding.size }) });
    const base = { capturedAt: frame.capturedAt, cursorOmitted: frame.cursorOmitted, startedAt };
    // The backend's version tells an unchanged screen when it has one; the pixels themselves when not.
    const same = frame.version !== undefined ? frame.version === this.previousVersion : this.previous?.equals(frame.data);
    if (this.latest && same) return { ...base, image: this.latest.image, version: this.latest.version };
    const image = await encodeFrame(frame, encoding);
    this.previousVersion = frame.version;
    this.previous = frame.version === undefined ? frame.data : undefined;
    return { ...base, image, version: ++this.version };
  }
}
