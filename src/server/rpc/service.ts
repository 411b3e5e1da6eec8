/**
 * DesktopService: maps each RPC to its handler and the Desktop interface.
 * Nothing here knows which backend runs; errors become codes in one
 * interceptor (src/server/rpc/errors.ts).
 */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { Logger } from "pino";
import { type DesktopService, GetDisplayResponseSchema, StartRecordingResponseSchema } from "../../../gen/desktop/v1/desktop_pb.js";
import type { Desktop } from "../../desktop/desktop.js";
import { defaultDeclaredSize } from "../../desktop/geometry.js";
import type { Recordings } from "../../desktop/recording/recordings.js";
import type { FileRoot } from "../../files/file-root.js";
import { runAction } from "./action.js";
import { getClipboard, setClipboard } from "./clipboard.js";
import { downloadFile, listFiles, uploadFile } from "./files.js";
import { INPUT_ORDER_DEFAULTS, InputOrder, type InputOrderOptions } from "./input-order.js";
import { screenshotStream } from "./screenshot.js";
import { SOURCE_ENUM } from "./settle.js";
import { SharedFrames } from "./shared-frames.js";
import { DEFAULT_RECORDING_LIMITS, type RecordingLimits, stopRecordingStream } from "./stop-recording.js";
import { vncBridge } from "./vnc.js";
import { activateWindow, closeWindow, launchApplication, listWindows } from "./windows.js";

export interface ServiceOptions {
  desktop: Desktop;
  /** Recordings of this desktop; every Action counts as activity for their idle stop. */
  recordings: Recordings;
  /** Size limits of what StopRecording sends; DEFAULT_RECORDING_LIMITS unless told. */
  recordingLimits?: RecordingLimits;
  /** How Actions keep input in order (src/server/rpc/input-order.ts); `false` never waits. */
  inputOrder?: InputOrderOptions | false;
  /** Where the file RPCs read and write; unset: they are off (PERMISSION_DENIED). */
  files?: FileRoot;
  logger: Logger;
}

export function desktopService(opts: ServiceOptions): ServiceImpl<typeof DesktopService> {
  const { desktop, recordings, logger } = opts;
  const limits = opts.recordingLimits ?? DEFAULT_RECORDING_LIMITS;
  const order = new InputOrder(opts.inputOrder ?? INPUT_ORDER_DEFAULTS);
  const frames = new SharedFrames(desktop);
  return {
    async getDisplay() {
      const { native, backend } = await desktop.start();
      const screenChanges = SOURCE_ENUM[(await desktop.screenChanges()).source];
      return create(GetDisplayResponseSchema, {
        nativeSize: native,
        defaultDeclaredSize: defaultDeclaredSize(native),
        backend,
        screenChanges,
      });
    },
    action(req, ctx) {
      recordings.activity();
      return runAction(desktop, req, ctx.signal, order);
    },
    screenshot: (req, ctx) => screenshotStream(desktop, frames, req, ctx.signal),
    vnc: (reqs, ctx) => vncBridge(desktop, reqs, ctx.signal),
    async startRecording(req) {
      await recordings.start(req.recordingId, { idleSpeedup: req.idleSpeedup });
      return create(StartRecordingResponseSchema);
    },
    stopRecording: (req) => stopRecordingStream(recordings, req.recordingId, limits, logger),
    uploadFile: (reqs, ctx) => uploadFile(opts.files, reqs, ctx.signal, logger),
    downloadFile: (req, ctx) => downloadFile(opts.files, req, ctx.signal, logger),
    listFiles: (req, ctx) => listFiles(opts.files, req, ctx.signal),
    launchApplication: (req) => launchApplication(desktop, req),
    listWindows: (req) => listWindows(desktop, req),
    activateWindow: (req) => activateWindow(desktop, req),
    closeWindow: (req) => closeWindow(desktop, req),
    getClipboard: (req, ctx) => getClipboard(desktop, req, ctx.signal),
    setClipboard: (req) => setClipboard(desktop, req),
  };
}
