/**
 * The built-in backend's screen recorder: one `ffmpeg -f x11grab` process per
 * recording (the only process a recording spawns while it runs).
 *
 * One filter graph makes the H.264 MP4 (libx264 ultrafast so it keeps up at
 * 1080p30, yuv420p, faststart) and, when idle speed-up is on, runs ffmpeg's
 * freezedetect on the same frames, whose log lines give the idle spans as
 * they happen. After the SIGINT stop (ffmpeg then writes the MP4's index and
 * exits 255), one more ffmpeg pass retimes those spans (setpts) and drops the
 * surplus frames (fps=30); if that pass fails, the unsped video is kept:
 * speed-up never costs the recording. The thumbnail is the finished video's
 * first frame. (ffmpeg 5.1 holds back an image output's packets until exit,
 * so a live thumbnail output would not exist until the end anyway.)
 */
import { rename, rm, writeFile } from "node:fs/promises";
import type { Logger } from "pino";
import { withDefaults } from "../../os/defaults.js";
import { TIMED_OUT, withTimeout } from "../../os/sleep.js";
import type { IdleSpeedup, Recorder, RecordOptions } from "../desktop.js";
import type { Size } from "../geometry.js";
import { EncoderProcess } from "../recording/encoder.js";
import { mp4Duration } from "../recording/mp4.js";

/** Recording frame rate, frames per second. */
export const RECORDING_FPS = 30;

export interface X11RecordOptions extends RecordOptions {
  /** The ffmpeg binary. */
  ffmpeg?: string;
  /** The environment ffmpeg runs in (DISPLAY and XAUTHORITY are set on top). */
  env?: NodeJS.ProcessEnv;
  /** X display (":N") and its Xauthority file. */
  display: string;
  xauthority: string;
  /** Screen size, native pixels. */
  size: Size;
  logger: Logger;
  /** Time the speed-up pass may take before the unsped video is kept, ms: this, or half the video's duration if longer. */
  speedupTimeoutMs?: number;
  /** Time allowed for the first captured frame, ms. */
  startTimeoutMs?: number;
  /** Time allowed for the thumbnail, ms. */
  thumbnailTimeoutMs?: number;
}

export const DEFAULTS = {
  ffmpeg: "ffmpeg",
  env: process.env,
  speedupTimeoutMs: 30_000,
  startTimeoutMs: 15_000,
  thumbnailTimeoutMs: 30_000,
};

/** What every ffmpeg run of one recording shares. */
interface Runner {
  ffmpeg: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Told about each pass started after the stop, so a kill reaches it too. */
  onSpawn: (p: EncoderProcess) => void;
}

export async function recordX11(options: X11RecordOptions): Promise<Recorder> {
  const opts = withDefaults(DEFAULTS, options);
  const raw = opts.idleSpeedup ? `${opts.video}.raw.mp4` : opts.video;
  const spans = new FreezeSpans();
  const { width, height } = opts.size;
  // yuv420p needs even sides; an odd screen loses its last row/column.
  const graph = `[0:v]setpts=PTS-STARTPTS,crop=trunc(iw/2)*2:trunc(ih/2)*2${opts.idleSpeedup ? ",split=2[rec][fd]" : "[rec]"}`;
  const freeze = opts.idleSpeedup ? `;[fd]freezedetect=n=${opts.idleSpeedup.noiseDb}dB:d=${opts.idleSpeedup.minDurationS},nullsink` : "";
  // biome-ignore format: ffmpeg's arguments grouped by input, filters and output
  const args = [
    // -progress: "frame=N" lines on stdout tell when capture has begun.
    "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", "-progress", "pipe:1", "-stats_period", "0.1", "-y",
    "-f", "x11grab", "-draw_mouse", "1", "-framerate", String(RECORDING_FPS), "-video_size", `${width}x${height}`, "-i", opts.display,
    "-filter_complex", graph + freeze,
    "-map", "[rec]", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-r", String(RECORDING_FPS),
    "-movflags", "+faststart", raw,
  ];
  const env = { ...opts.env, DISPLAY: opts.display, XAUTHORITY: opts.xauthority };
  const encoder = EncoderProcess.spawn({
    name: "ffmpeg x11grab",
    command: opts.ffmpeg,
    args,
    env,
    logger: opts.logger,
    onLine: (line) => spans.line(line),
    readyWhen: (line) => /^frame=[1-9]/.test(line),
  });
  await encoder.ready(opts.startTimeoutMs, "first frame");
  opts.logger.debug({ pid: encoder.pid, video: opts.video, idleSpeedup: opts.idleSpeedup }, "x11grab recording");

  let stopped: Promise<boolean> | undefined;
  let pass: EncoderProcess | undefined;
  const runner: Runner = { ffmpeg: opts.ffmpeg, env, logger: opts.logger, onSpawn: (p) => (pass = p) };
  return {
    exited: encoder.exited.then(() => undefined),
    kill: () => {
      encoder.kill();
      pass?.kill();
    },
    stop: (graceMs) =>
      (stopped ??= (async () => {
        // Killed: no index was written. Otherwise the MP4 itself tells (the caller checks it).
        if (!(await encoder.stop(graceMs))) return false;
        if (opts.idleSpeedup) {
          await speedUpOrKeep(runner, { raw, out: opts.video, speedup: opts.idleSpeedup, spans, timeoutMs: opts.speedupTimeoutMs });
        }
        const thumbArgs = ["-i", opts.video, "-frames:v", "1", "-q:v", "3", opts.thumbnail];
        const thumb = await runPass(runner, thumbArgs, "thumbnail", opts.thumbnailTimeoutMs);
        if (!thumb.ok) opts.logger.warn({ err: thumb.err }, "no thumbnail: ffmpeg could not read the first frame");
        return true;
      })()),
  };
}

/** Idle spans [start, end) in seconds from ffmpeg's freezedetect log lines. */
export class FreezeSpans {
  readonly spans: [number, number][] = [];
  private open?: number;

  line(line: string): void {
    const m = /lavfi\.freezedetect\.freeze_(start|end): (\d+(?:\.\d+)?)/.exec(line);
    if (!m) return;
    const t = Number(m[2]);
    if (m[1] === "start") this.open = t;
    else if (this.open !== undefined) {
      if (t > this.open) this.spans.push([this.open, t]);
      this.open = undefined;
    }
  }

  /** Every span, a still-open one ending at `end` (the video's duration). */
  closed(end: number): [number, number][] {
    return this.open !== undefined && end > this.open ? [...this.spans, [this.open, end]] : [...this.spans];
  }
}

/**
 * A setpts expression that plays each idle span `factor` times faster: a
 * frame's new time is its time minus (1 - 1/factor) of the idle time before it.
 * clip(T-s, 0, d) is how much of span [s, s+d) lies before T.
 */
export function speedupExpression(spans: [number, number][], factor: number): string {
  const k = 1 - 1 / factor;
  const idle = spans.map(([s, e]) => `clip(T-${s.toFixed(6)},0,${(e - s).toFixed(6)})`).join("+");
  return `(T-${k.toFixed(6)}*(${idle}))/TB`;
}

interface SpeedupPass {
  raw: string;
  out: string;
  speedup: IdleSpeedup;
  spans: FreezeSpans;
  timeoutMs: number;
}

async function speedUpOrKeep(runner: Runner, o: SpeedupPass): Promise<void> {
  const duration = (await mp4Duration(o.raw)) ?? 0;
  const spans = o.spans.closed(duration);
  // The pass decodes everything and re-encodes what it keeps (about 5x real
  // time for a busy 1080p screen here): only worth it when it saves a lot.
  const saved = spans.reduce((sum, [s, e]) => sum + (e - s), 0) * (1 - 1 / o.speedup.factor);
  if (o.speedup.factor <= 1 || saved < 1 || saved < 0.1 * duration) {
    await rename(o.raw, o.out);
    return;
  }
  // The expression grows with the number of spans: a script file, not argv.
  const script = `${o.out}.filter`;
  await writeFile(script, `setpts='${speedupExpression(spans, o.speedup.factor)}',fps=${RECORDING_FPS}`, { mode: 0o600 });
  const started = performance.now();
  const timeoutMs = Math.max(o.timeoutMs, duration * 500);
  // biome-ignore format: ffmpeg's arguments in reading order
  const args = [
    "-i", o.raw, "-filter_script:v", script,
    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart", o.out,
  ];
  const pass = await runPass(runner, args, "speed-up", timeoutMs);
  await rm(script, { force: true });
  if (pass.ok && (await mp4Duration(o.out)) !== undefined) {
    await rm(o.raw, { force: true });
    const ms = Math.round(performance.now() - started);
    runner.logger.info({ spans: spans.length, before: duration, after: await mp4Duration(o.out), ms }, "idle spans sped up");
    return;
  }
  runner.logger.warn({ err: pass.err, timeoutMs }, "idle speed-up failed; keeping the recording at normal speed");
  await rename(o.raw, o.out);
}

/** One short ffmpeg run over a finished file, killed after `timeoutMs`. */
async function runPass(runner: Runner, args: string[], name: string, timeoutMs: number): Promise<{ ok: boolean; err: string }> {
  const p = EncoderProcess.spawn({
    name: `ffmpeg ${name}`,
    command: runner.ffmpeg,
    args: ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y", ...args],
    env: runner.env,
    logger: runner.logger,
  });
  runner.onSpawn(p);
  const exit = await withTimeout(p.exited, timeoutMs);
  p.kill();
  if (exit === TIMED_OUT) return { ok: false, err: `timed out after ${timeoutMs} ms` };
  return { ok: exit.exitCode === 0, err: p.lastLines() };
}
