/**
 * Frames shared by the Screenshot streams that ask for the same thing (format,
 * quality, size, region, pointer): one capture and one encode per frame,
 * however many subscribe. Before, each stream captured and encoded its own:
 * 50 subscribers got 0.78 fps each at a whole core, and each kept its own
 * copy of the last frame (RSS 179 -> 610 MB).
 *
 * A stream asks for a frame captured no earlier than a time it names (after
 * the change that woke it); a capture under way that began since then, or
 * the last one if it did, is shared, otherwise a new capture starts once the
 * one under way ends. Each feed keeps one previous frame to tell an unchanged
 * screen (its `version` stays, and it is not encoded again); a feed goes once
 * its last stream ends, so memory grows with the kinds of stream, not their
 * number.
 */
import type { Desktop } from "../../desktop/desktop.js";
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
  /** When its capture began, performance.now() ms. */
  startedAt: number;
}

export interface Feed {
  /** A shot whose capture began at or after `notBefore` (performance.now() ms). */
  shot(notBefore: number): Promise<Shot>;
  /** The stream is done with the feed. */
  leave(): void;
}

export class SharedFrames {
  private readonly feeds = new Map<string, FeedState>();

  constructor(private readonly desktop: Desktop) {}

  /** The feed for `params`, shared with every stream that asks the same; `leave()` it when done. */
  join(params: FeedParams): Feed {
    const key = JSON.stringify([params.region, params.includeCursor, params.encoding]);
    let state = this.feeds.get(key);
    if (!state) {
      state = new FeedState(this.desktop, params);
      this.feeds.set(key, state);
    }
    const feed = state;
    feed.streams++;
    let left = false;
    return {
      shot: (notBefore) => feed.shot(notBefore),
      leave: () => {
        if (left) return;
        left = true;
        if (--feed.streams === 0) this.feeds.delete(key);
      },
    };
  }

  /** Feeds with streams now (one per kind of stream). */
  get size(): number {
    return this.feeds.size;
  }
}

class FeedState {
  streams = 0;
  private latest?: Shot;
  private previous?: Buffer;
  private version = 0;
  private inflight?: { startedAt: number; shot: Promise<Shot> };

  constructor(
    private readonly desktop: Desktop,
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
    const startedAt = performance.now();
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
    const frame = await this.desktop.capture({ region, includeCursor });
    const base = { capturedAt: frame.capturedAt, cursorOmitted: frame.cursorOmitted, startedAt };
    if (this.latest && this.previous?.equals(frame.data)) return { ...base, image: this.latest.image, version: this.latest.version };
    const image = await encodeFrame(frame, encoding);
    this.previous = frame.data;
    return { ...base, image, version: ++this.version };
  }
}
