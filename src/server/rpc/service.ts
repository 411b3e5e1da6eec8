/**
 * DesktopService: maps each RPC to its handler and the desktop host. Nothing
 * here knows which backend runs; each handler takes one desktop session at
 * its start and uses only it; errors become codes in one interceptor
 * (src/server/rpc/errors.ts).
 */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { Logger } from "pino";
import { type DesktopService, GetDisplayResponseSchema, StartRecordingResponseSchema } from "../../../gen/desktop/v1/desktop_pb.js";
import type { DesktopHost } from "../../desktop/desktop.js";
import { defaultDeclaredSize } from "../../desktop/geometry.js";
import type { FileRoot } from "../../files/file-root.js";
import type { Recordings } from "../../recordings/recordings.js";
import type { Metrics } from "../metrics/metrics.js";
import type { Credentials } from "../transport/credentials.js";
import { runAction } from "./action.js";
import { runActionBatch } from "./action-batch.js";
import { claimDesktop } from "./claim.js";
import { getClipboard, setClipboard } from "./clipboard.js";
import { downloadFile, listFiles, uploadFile } from "./files.js";
import { FrameIds } from "./frame-ids.js";
import { Phases } from "./phases.js";
import { resetRpc } from "./reset.js";
import { screenshotStream } from "./screenshot.js";
import { SOURCE_ENUM } from "./settle.js";
import { SharedFrames } from "./shared-frames.js";
import { DEFAULT_RECORDING_LIMITS, type RecordingLimits, stopRecordingStream } from "./stop-recording.js";
import { vncBridge } from "./vnc.js";
import { activateWindow, closeWindow, launchApplication, listWindows } from "./windows.js";

export interface ServiceOptions {
  host: DesktopHost;
  /** Recordings of this desktop; every Action counts as activity for their idle stop. */
  recordings: Recordings;
  /** Size limits of what StopRecording sends; DEFAULT_RECORDING_LIMITS unless told. */
  recordingLimits?: RecordingLimits;
  /** Where the file RPCs read and write; unset: they are off (PERMISSION_DENIED). */
  files?: FileRoot;
  /** Reset empties the file root (`serve --reset-files`). */
  resetFiles?: boolean;
  /** Reset fills the emptied file root from this directory. */
  fileTemplate?: string;
  /** A warm desktop's credentials (Claim); unset when the service started with a token. */
  credentials?: Credentials;
  logger: Logger;
  /** Where action phases and relayed VNC bytes are counted; nowhere when unset. */
  metrics?: Metrics;
}

export function desktopService(opts: ServiceOptions): ServiceImpl<typeof DesktopService> {
  const { host, recordings, logger, metrics } = opts;
  const resetOpts = { host, recordings, files: opts.files, resetFiles: opts.resetFiles, fileTemplate: opts.fileTemplate, logger };
  const limits = opts.recordingLimits ?? DEFAULT_RECORDING_LIMITS;
  const frames = new SharedFrames();
  const frameIds = new FrameIds();
  return {
    async getDisplay(_req, ctx) {
      const s = await host.session(ctx.signal);
      return create(GetDisplayResponseSchema, {
        nativeSize: s.native,
        defaultDeclaredSize: defaultDeclaredSize(s.native),
        backend: host.backend,
        screenChanges: SOURCE_ENUM[s.changes.source],
      });
    },
    async action(req, ctx) {
      recordings.activity();
      const phases = new Phases();
      try {
        return await runAction(host, req, ctx.signal, phases, frameIds);
      } finally {
        if (metrics) for (const [phase, us] of Object.entries(phases.us)) if (us > 0) metrics.actionPhases.observe({ phase }, us / 1e6);
      }
    },
    async actionBatch(req, ctx) {
      recordings.activity();
      const phases = new Phases();
      try {
        return await runActionBatch(host, req, ctx.signal, phases, frameIds);
      } finally {
        if (metrics) for (const [phase, us] of Object.entries(phases.us)) if (us > 0) metrics.actionPhases.observe({ phase }, us / 1e6);
      }
    },
    screenshot: (req, ctx) => screenshotStream(host, frames, req, ctx.signal, frameIds),
    vnc: (reqs, ctx) => vncBridge(host, reqs, ctx.signal, metrics && (() => metrics.vncRelay("rpc"))),
    async startRecording(req) {
      await recordings.start(req.recordingId, { idleSpeedup: req.idleSpeedup });
      return create(StartRecordingResponseSchema);
    },
    stopRecording: (req) => stopRecordingStream(recordings, req.recordingId, limits, logger),
    uploadFile: (reqs, ctx) => uploadFile(opts.files, reqs, ctx.signal, logger),
    downloadFile: (req, ctx) => downloadFile(opts.files, req, ctx.signal, logger),
    listFiles: (req, ctx) => listFiles(opts.files, req, ctx.signal),
    launchApplication: (req, ctx) => launchApplication(host, req, ctx.signal),
    listWindows: (req, ctx) => listWindows(host, req, ctx.signal),
    activateWindow: (req, ctx) => activateWindow(host, req, ctx.signal),
    closeWindow: (req, ctx) => closeWindow(host, req, ctx.signal),
    getClipboard: (req, ctx) => getClipboard(host, req, ctx.signal),
    setClipboard: (req, ctx) => setClipboard(host, req, ctx.signal),
    reset: (req) => resetRpc(resetOpts, opts.credentials, req),
    claim: (req, ctx) => claimDesktop(opts.credentials, req, ctx.requestHeader.get("authorization"), resetOpts, logger),
  };
}
