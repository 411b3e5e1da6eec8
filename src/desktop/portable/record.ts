/**
 * Recording through the CLI: `portabledesktop record
 * [--idle-speedup F --idle-min-duration S --idle-noise-tolerance dB]
 * --thumbnail JPG FILE.mp4` prints `recording: PATH` once it captures, runs
 * until SIGINT, then finalises the MP4, writes the thumbnail, prints
 * `saved: PATH` and exits 0. The CLI does its own idle speed-up.
 */
import type { Logger } from "pino";
import type { Recorder, RecordOptions } from "../desktop.js";
import { EncoderProcess } from "../recording/encoder.js";
import type { PortableDesktopCli } from "./cli.js";

/** Time allowed for the "recording:" line, ms. */
const START_TIMEOUT_MS = 15_000;

export async function recordWithCli(cli: PortableDesktopCli, opts: RecordOptions & { logger: Logger }): Promise<Recorder> {
  const s = opts.idleSpeedup;
  // `=` keeps a negative dB value from being read as a flag.
  const speedup = s ? [`--idle-speedup=${s.factor}`, `--idle-min-duration=${s.minDurationS}`, `--idle-noise-tolerance=${s.noiseDb}`] : [];
  const inv = cli.invocation(["record", ...speedup, "--thumbnail", opts.thumbnail], [opts.video]);
  const encoder = EncoderProcess.spawn({
    name: "portabledesktop record",
    ...inv,
    logger: opts.logger,
    readyWhen: (line) => line.startsWith("recording:"),
  });
  await encoder.ready(START_TIMEOUT_MS, `"recording:" line`);
  return {
    exited: encoder.exited.then(() => undefined),
    kill: () => encoder.kill(),
    // The CLI exits 0 once the MP4 and thumbnail are written.
    stop: async (graceMs) => (await encoder.stop(graceMs))?.exitCode === 0,
  };
}
