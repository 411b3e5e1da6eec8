/**
 * Property-based requests through the API layer (fast-check, in memory):
 * arbitrary ScreenshotRequest fields and recording ids get only OK or their
 * documented codes (INVALID_ARGUMENT, NOT_FOUND), never INTERNAL, and a bad
 * request never reaches the desktop.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import fc from "fast-check";
import { ImageFormat } from "../../gen/desktop/v1/desktop_pb.js";
import { useInMemory } from "../helpers/in-memory.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 500);
const int = fc.integer({ min: -5000, max: 5000 });
const rect = fc.record({ x: int, y: int, width: int, height: int });
const screenshotRequest = fc.record({
  maxFps: fc.oneof(fc.double(), fc.constantFrom(0, 1e-7, 0.001, 60, 61, Number.NaN, Number.POSITIVE_INFINITY)),
  format: fc.integer({ min: -1, max: 5 }) as fc.Arbitrary<ImageFormat>,
  quality: fc.integer({ min: -10, max: 120 }),
  includeCursor: fc.boolean(),
  allFrames: fc.boolean(),
  scaledSize: fc.option(fc.record({ width: int, height: int }), { nil: undefined }),
  region: fc.option(rect, { nil: undefined }),
});
const recordingId = fc.oneof(fc.string(), fc.uuid(), fc.constantFrom("", "../../etc/passwd", "00000000-0000-0000-0000-000000000000"));

const code = (e: unknown) => Code[ConnectError.from(e).code];

describe("fuzzed requests, in memory", () => {
  const service = useInMemory({ width: 64, height: 48 });

  it(`ScreenshotRequest (${RUNS}): OK or INVALID_ARGUMENT; invalid ones capture nothing`, async () => {
    await fc.assert(
      fc.asyncProperty(screenshotRequest, async (req) => {
        const before = service().desktop.argsOf("capture").length;
        let outcome = "ok";
        try {
          // One frame is enough: streams that would run on are cut by the deadline.
          for await (const _ of service().client.screenshot({ ...req, format: req.format ?? ImageFormat.PNG }, { timeoutMs: 200 })) break;
        } catch (e) {
          outcome = code(e);
        }
        assert.ok(["ok", "InvalidArgument", "DeadlineExceeded"].includes(outcome), `${outcome} for ${JSON.stringify(req)}`);
        if (outcome === "InvalidArgument") assert.equal(service().desktop.argsOf("capture").length, before);
      }),
      { numRuns: RUNS },
    );
  });

  it(`recording ids (${RUNS}): StopRecording is NOT_FOUND or INVALID_ARGUMENT, never INTERNAL`, async () => {
    await fc.assert(
      fc.asyncProperty(recordingId, async (id) => {
        let outcome = "ok";
        try {
          for await (const _ of service().client.stopRecording({ recordingId: id })) break;
        } catch (e) {
          outcome = code(e);
        }
        assert.ok(["NotFound", "InvalidArgument"].includes(outcome), `${outcome} for ${JSON.stringify(id)}`);
      }),
      { numRuns: RUNS },
    );
  });
});
