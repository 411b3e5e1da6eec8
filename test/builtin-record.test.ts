/** The idle speed-up's pieces: reading freezedetect's log, and the retiming it drives (real ffmpeg). */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { execa } from "execa";
import { FreezeSpans, speedupExpression } from "../src/desktop/builtin/record.js";
import { mp4Duration } from "../src/desktop/recording/mp4.js";

describe("idle speed-up", () => {
  it("reads idle spans from freezedetect's log lines; a span still open at the stop ends with the video", () => {
    const spans = new FreezeSpans();
    for (const line of [
      "[freezedetect @ 0x55] lavfi.freezedetect.freeze_start: 0",
      "frame=12",
      "[freezedetect @ 0x55] lavfi.freezedetect.freeze_duration: 1.93314",
      "[freezedetect @ 0x55] lavfi.freezedetect.freeze_end: 1.93314",
      "[freezedetect @ 0x55] lavfi.freezedetect.freeze_start: 4.5",
    ])
      spans.line(line);
    assert.deepEqual(spans.spans, [[0, 1.93314]]);
    assert.deepEqual(spans.closed(6), [
      [0, 1.93314],
      [4.5, 6],
    ]);
  });

  it("the setpts expression plays each idle span `factor` times faster and leaves the rest alone", async () => {
    const dir = await mkdtemp(join(tmpdir(), "desktopd-speedup-"));
    try {
      const src = join(dir, "src.mp4");
      await execa("ffmpeg", [
        "-loglevel",
        "error",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=160x120:rate=30:duration=10",
        "-pix_fmt",
        "yuv420p",
        src,
      ]);
      const script = join(dir, "filter");
      await writeFile(
        script,
        `setpts='${speedupExpression(
          [
            [2, 4],
            [6, 9],
          ],
          20,
        )}',fps=30`,
      );
      const out = join(dir, "out.mp4");
      await execa("ffmpeg", ["-loglevel", "error", "-i", src, "-filter_script:v", script, out]);
      // 10 s with 5 idle seconds at 20x: 5 + 5/20 = 5.25 s.
      const d = (await mp4Duration(out))!;
      assert.ok(Math.abs(d - 5.25) < 0.1, `${d}s`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
