/**
 * The recording rules, over any desktop host (docs/behaviour.md, Recording):
 * caller-chosen UUIDs, idempotent start and stop, at most 5 at once, an idle
 * stop after 10 minutes without a desktop action, 1 h retention of finished
 * recordings, and files only in a private 0700 directory that Close removes.
 */
import { randomUUID } from "node:crypto";
import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { DEFAULT_IDLE_SPEEDUP, type DesktopHost, type IdleSpeedup, type Recorder } from "../desktop/desktop.js";
import { DataLossError, DesktopUnavailableError, InvalidInputError, NotFoundError, ResourceExhaustedError } from "../desktop/errors.js";
import { mp4Duration } from "../desktop/recording/mp4.js";
import { type Clock, systemClock } from "../os/clock.js";
import { withDefaults } from "../os/defaults.js";
import { InstanceDir } from "../os/instance-dir.js";
import { TIMED_OUT, withTimeout } from "../os/sleep.js";

export interface RecordingsOptions {
  /** The desktop recorded: its running session, started if need be. */
  host: DesktopHost;
  /** The service's private runtime directory; recordings go in a 0700 directory inside it. */
  runtimeDir: string;
  logger: Logger;
  clock?: Clock;
  /** Speed-up of recordings that do not choose for themselves; "off" for none. */
  idleSpeedup?: IdleSpeedup | "off";
  /** Most recordings running at once. */
  maxActive?: number;
  /** A recording stops by itself after this long without a desktop action, ms. */
  idleStopMs?: number;
  /** Finished recordings are deleted this long after they finish, ms. */
  retentionMs?: number;
  /** Time the encoder gets to finalise after SIGINT before it is killed, ms. */
  stopGraceMs?: number;
  /** How often the idle stop and retention are checked, ms. */
  tickMs?: number;
}

export const DEFAULTS = {
  clock: systemClock as Clock,
  idleSpeedup: DEFAULT_IDLE_SPEEDUP as IdleSpeedup | "off",
  maxActive: 5,
  idleStopMs: 10 * 60_000,
  retentionMs: 60 * 60_000,
  stopGraceMs: 15_000,
  tickMs: 5000,
};

/** A finished recording's files and facts. */
export interface RecordingArtifact {
  id: string;
  /** The MP4 (H.264) and its size, bytes. */
  video: string;
  videoSize: number;
  /** The JPEG thumbnail and its size, bytes; undefined and 0 when there is none. */
  thumbnail?: string;
  thumbnailSize: number;
  /** Video duration, seconds (from the MP4's movie header). */
  durationSeconds: number;
}

interface Entry {
  id: string;
  /** Private directory of this take (a restart under the same id gets a new one). */
  dir: string;
  startedAt: number;
  recorder: Promise<Recorder>;
  /** Set once stopping began: the artifact, or DataLossError. */
  result?: Promise<RecordingArtifact>;
  finishedAt?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Throws InvalidInputError naming recording_id unless `id` is a UUID. */
function checkId(id: string): void {
  if (!id) throw new InvalidInputError("recording_id", "required (a UUID)");
  if (!UUID.test(id))
    throw new InvalidInputError("recording_id", `must be a UUID such as ${randomUUID()}, got ${JSON.stringify(id.slice(0, 64))}`);
}

export class Recordings {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: Clock;
  private lastActivity: number;
  private closed = false;
  private cancelTick?: () => void;
  private takes = 0;

  private readonly opts: typeof DEFAULTS & RecordingsOptions;

  private constructor(
    options: RecordingsOptions,
    /** This instance's private directory (0700). */
    readonly dir: string,
  ) {
    this.opts = withDefaults(DEFAULTS, options);
    this.clock = this.opts.clock;
    this.lastActivity = this.clock.now();
    this.tick();
  }

  /**
   * Creates the private directory `<runtimeDir>/recordings-<pid>-XXXXXX`
   * (0700). What a dead instance left there is removed at the service's start
   * (src/os/instance-dir.ts).
   */
  static async create(opts: RecordingsOptions): Promise<Recordings> {
    return new Recordings(opts, (await InstanceDir.create(opts.runtimeDir, "recordings")).path);
  }

  /** Where recording `id` is: "recording", "stopping", "finished" (artifact or corrupted), or undefined when unknown. */
  state(id: string): "recording" | "stopping" | "finished" | undefined {
    const e = this.entries.get(id);
    return !e ? undefined : e.finishedAt !== undefined ? "finished" : e.result ? "stopping" : "recording";
  }

  /** A desktop action happened: the idle-stop clock starts again. */
  activity(): void {
    this.lastActivity = this.clock.now();
  }

  /** Recordings in progress (not yet stopped). */
  active(): number {
    let n = 0;
    for (const e of this.entries.values()) if (!e.result) n++;
    return n;
  }

  /**
   * Starts recording `id`, or lets an active recording with that id go on.
   * A finished recording with that id is discarded and a new
   * one started. `idleSpeedup` overrides the configured default.
   * Throws InvalidInputError (not a UUID), ResourceExhaustedError (the limit
   * of active recordings), DesktopUnavailableError (shutting down, or the
   * desktop or encoder cannot start).
   */
  async start(id: string, opts: { idleSpeedup?: boolean } = {}): Promise<void> {
    checkId(id);
    this.refuseIfClosed();
    this.expire();
    const existing = this.entries.get(id);
    if (existing && !existing.result) {
      this.opts.logger.debug({ recording: id }, "recording continues");
      return;
    }
    if (existing) {
      await existing.result!.catch(() => undefined);
      // Another start may have replaced it meanwhile: decide again.
      if (this.entries.get(id) === existing) this.discard(existing);
      return this.start(id, opts);
    }
    const active = this.active();
    const max = this.opts.maxActive;
    if (active >= max) throw new ResourceExhaustedError(`${active} recordings are active, the most allowed; stop one first`);

    // The request decides when it says; otherwise the server's setting (null: off).
    const configured = this.opts.idleSpeedup;
    const wanted = opts.idleSpeedup ?? configured !== "off";
    const speedup = wanted ? (configured === "off" ? DEFAULT_IDLE_SPEEDUP : configured) : undefined;
    const dir = join(this.dir, `${id}.${++this.takes}`);
    const entry: Entry = { id, dir, startedAt: this.clock.now(), recorder: this.launch(dir, speedup) };
    this.entries.set(id, entry);
    try {
      const recorder = await entry.recorder;
      if (this.closed) throw new DesktopUnavailableError("shutting down: new recordings are refused");
      // Discarded while it started (a reset): it must not outlive that.
      if (this.entries.get(id) !== entry) throw new DesktopUnavailableError("the desktop was reset while the recording started");
      void recorder.exited.then(() => {
        if (entry.result || this.closed) return;
        this.opts.logger.warn({ recording: id }, "recording encoder exited by itself");
        void this.finish(entry);
      });
    } catch (err) {
      if (this.entries.get(id) === entry) this.entries.delete(id);
      void entry.recorder.then(
        (r) => r.kill(),
        () => undefined,
      );
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    this.opts.logger.info({ recording: id, idleSpeedup: speedup ?? false }, "recording started");
  }

  private async launch(dir: string, idleSpeedup: IdleSpeedup | undefined): Promise<Recorder> {
    await mkdir(dir, { mode: 0o700 });
    const session = await this.opts.host.session();
    return session.record({ video: join(dir, "recording.mp4"), thumbnail: join(dir, "thumbnail.jpg"), idleSpeedup });
  }

  /**
   * Stops recording `id` and returns its files. Idempotent: a stopped
   * recording returns the same artifact. The stop runs to completion whoever
   * awaits it. Throws NotFoundError (unknown or expired id), DataLossError
   * (the encoder had to be killed: "recording corrupted").
   */
  async stop(id: string): Promise<RecordingArtifact> {
    checkId(id);
    this.refuseIfClosed();
    this.expire();
    const entry = this.entries.get(id);
    if (!entry) throw new NotFoundError(`recording ${id} not found (never started, or finished over an hour ago)`);
    return this.finish(entry);
  }

  private finish(entry: Entry): Promise<RecordingArtifact> {
    const log = this.opts.logger;
    entry.result ??= (async () => {
      try {
        const recorder = await entry.recorder;
        const finalised = await recorder.stop(this.opts.stopGraceMs);
        const video = join(entry.dir, "recording.mp4");
        const durationSeconds = finalised ? await mp4Duration(video) : undefined;
        if (durationSeconds === undefined) {
          throw new DataLossError(
            `recording ${entry.id} corrupted: the encoder did not finish the MP4 ` +
              `(${finalised ? "no movie header" : "it was killed or failed"})`,
          );
        }
        const videoSize = (await stat(video)).size;
        const thumbnail = join(entry.dir, "thumbnail.jpg");
        const thumbnailSize = await stat(thumbnail).then(
          (s) => s.size,
          () => 0,
        );
        log.info({ recording: entry.id, videoSize, thumbnailSize, durationSeconds }, "recording stopped");
        return { id: entry.id, video, videoSize, thumbnail: thumbnailSize > 0 ? thumbnail : undefined, thumbnailSize, durationSeconds };
      } catch (err) {
        log.warn({ recording: entry.id, err: (err as Error).message }, "recording lost");
        throw err;
      } finally {
        entry.finishedAt = this.clock.now();
      }
    })();
    // Nobody may be waiting (idle stop, a caller that left): never unhandled.
    entry.result.catch(() => undefined);
    return entry.result;
  }

  /** Stops recordings idle too long and deletes expired ones; then schedules itself again. */
  private tick(): void {
    if (this.closed) return;
    const now = this.clock.now();
    const idleMs = this.opts.idleStopMs;
    for (const e of this.entries.values()) {
      if (!e.result && now - Math.max(this.lastActivity, e.startedAt) >= idleMs) {
        this.opts.logger.info({ recording: e.id, idleMs }, "no desktop action for too long: stopping recording");
        void this.finish(e);
      }
    }
    this.expire();
    this.cancelTick = this.clock.setTimeout(() => this.tick(), this.opts.tickMs);
  }

  /** Deletes finished recordings older than the retention time, files included. */
  private expire(): void {
    const now = this.clock.now();
    const keep = this.opts.retentionMs;
    for (const e of this.entries.values()) {
      if (e.finishedAt !== undefined && now - e.finishedAt >= keep) {
        this.opts.logger.info({ recording: e.id }, "recording expired: deleted");
        this.discard(e);
      }
    }
  }

  private discard(e: Entry): void {
    this.entries.delete(e.id);
    void rm(e.dir, { recursive: true, force: true });
  }

  private refuseIfClosed(): void {
    if (this.closed) throw new DesktopUnavailableError("shutting down: recordings are closed");
  }

  /**
   * Kills every encoder (no finalising: shutdown must be quick), removes
   * every file and the directory. Later calls throw DesktopUnavailableError.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelTick?.();
    const n = await this.discardAll();
    await rm(this.dir, { recursive: true, force: true });
    this.opts.logger.info({ recordings: n }, "recordings closed and deleted");
  }

  /**
   * Kills every encoder and deletes every recording, finished or not (a
   * desktop reset): their ids are unknown from then on. Resolves with how
   * many there were.
   */
  async discardAll(): Promise<number> {
    // A recorder still starting after 1 s is killed by its start() once it resolves.
    const started = async (e: Entry) => {
      const r = await withTimeout(
        e.recorder.catch(() => undefined),
        1000,
      );
      return r === TIMED_OUT ? undefined : r;
    };
    const entries = [...this.entries.values()];
    this.entries.clear();
    const recorders = await Promise.all(entries.map(started));
    for (const r of recorders) r?.kill();
    await Promise.all(recorders.map((r) => r?.exited));
    await Promise.all(entries.map((e) => rm(e.dir, { recursive: true, force: true })));
    return entries.length;
  }
}
