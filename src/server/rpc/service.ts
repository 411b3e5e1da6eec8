/**
 * DesktopService: maps RPCs to the Desktop interface and errors to codes.
 * Nothing here knows which backend runs.
 */
import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { Logger } from "pino";
import { DesktopService, GetDisplayResponseSchema, StartRecordingResponseSchema } from "../../../gen/desktop/v1/desktop_pb.js";
import type { Desktop } from "../../desktop/desktop.js";
import { defaultDeclaredSize } from "../../desktop/geometry.js";
import type { Recordings } from "../../desktop/recording/recordings.js";
import { runAction } from "./action.js";
import { toConnectError } from "./errors.js";
import { screenshotStream } from "./screenshot.js";
import { DEFAULT_RECORDING_LIMITS, type RecordingLimits, stopRecordingStream } from "./stop-recording.js";
import { vncBridge } from "./vnc.js";

export interface ServiceOptions {
  desktop: Desktop;
  /** Aborted when the server starts shutting down: streams end with UNAVAILABLE. */
  shutdownSignal?: AbortSignal;
  /** Recordings of this desktop; every Action counts as activity for their idle stop. */
  recordings: Recordings;
  /** Size limits of what StopRecording sends; DEFAULT_RECORDING_LIMITS unless told. */
  recordingLimits?: RecordingLimits;
  logger: Logger;
}

export function desktopService(opts: ServiceOptions): ServiceImpl<typeof DesktopService> {
  const { desktop } = opts;
  const shuttingDown = () => opts.shutdownSignal?.aborted ?? false;
  const mapErr = (err: unknown) => toConnectError(err, shuttingDown());

  async function unary<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw mapErr(err);
    }
  }

  async function* stream<T>(gen: AsyncGenerator<T>, ctx: HandlerContext): AsyncGenerator<T> {
    try {
      yield* gen;
    } catch (err) {
      throw mapErr(err);
    }
    if (ctx.signal.aborted) throw mapErr(ctx.signal.reason);
  }

  return {
    getDisplay: () =>
      unary(async () => {
        const cfg = await desktop.start();
        return create(GetDisplayResponseSchema, {
          nativeSize: cfg.native,
          defaultDeclaredSize: defaultDeclaredSize(cfg.native),
          backend: cfg.backend,
        });
      }),
    action: (req, ctx) =>
      unary(() => {
        opts.recordings.activity();
        return runAction(desktop, req, ctx.signal);
      }),
    screenshot: (req, ctx) => stream(screenshotStream(desktop, req, ctx.signal), ctx),
    vnc: (reqs, ctx) => stream(vncBridge(desktop, reqs, ctx.signal), ctx),
    startRecording: (req) =>
      unary(async () => {
        await opts.recordings.start(req.recordingId, { idleSpeedup: req.idleSpeedup });
        return create(StartRecordingResponseSchema);
      }),
    stopRecording: (req, ctx) =>
      stream(stopRecordingStream(opts.recordings, req.recordingId, opts.recordingLimits ?? DEFAULT_RECORDING_LIMITS, opts.logger), ctx),
  };
}
