/**
 * Recording through the CLI (reference section 5): `portabledesktop record
 * [--idle-speedup F --idle-min-duration S --idle-noise-tolerance dB]
 * --thumbnail JPG FILE.mp4` prints `recording: PATH` once it captures, runs
 * until SIGINT, then finalises the MP4, writes the thumbnail, prints
 * `saved: PATH` and exits 0. The CLI does its own idle speed-up.
 */
import type { Logger } from "pino";
import type { Recorder, RecordOptions } from "../desktop.js";
import { EncoderProcess } from "../recording/encoder.js";
import type { PortableDesktopCli } from "./cli.js";

export async function recordWithCli(
  cli: PortableDesktopCli,
  opts: RecordOptions & { logger: Logger; startTimeoutMs?: number },
): Promise<Recorder> {
  const s = opts.idleSpeedup;
  // `=` keeps a negative dB value from being read as a flag.
  const speedup = s ? [`--idle-speedup=${s.factor}`, `--idle-min-duration=${s.minDurationS}`, `--idle-noise-tolerance=${s.noiseDb}`] : [];
  const inv = cli.invocation(["record", ...speedup, "--thumbnail", opts.thumbnail], [opts.video]);
  let recording = false;
  const encoder = EncoderProcess.spawn({
    name: "portabledesktop record",
    ...inv,
    logger: opts.logger,
    onLine: (line) => {
      if (line.startsWith("recording:")) recording = true;
    },
  });
  await encoder.waitUntil(() => recording, opts.startTimeoutMs ?? 15_000, `"recording:" line`);
  return {
    exited: encoder.exited.then(() => undefined),
    kill: () => encoder.kill(),
    // The CLI exits 0 once the MP4 and thumbnail are written.
    stop: async (graceMs) => (await encoder.stop(graceMs))?.exitCode === 0,
  };
}
