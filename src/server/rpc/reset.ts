/**
 * Reset: the desktop back to a clean state for the next task, each part
 * timed (proto: DesktopService.Reset). Recordings go first (their encoders
 * read the old display), the file root is emptied while no program of the
 * desktop runs (none can write into it, or race its removal, from then on),
 * and the answer waits for the new desktop to take input.
 */
import { create } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import { type ResetResponse, ResetResponseSchema, type ResetStep } from "../../../gen/desktop/v1/desktop_pb.js";
import type { DesktopHost } from "../../desktop/desktop.js";
import { FailedPreconditionError } from "../../desktop/errors.js";
import { emptyRoot } from "../../files/empty-root.js";
import type { FileRoot } from "../../files/file-root.js";
import type { Recordings } from "../../recordings/recordings.js";
import type { Credentials } from "../transport/credentials.js";

export interface ResetOptions {
  host: DesktopHost;
  recordings: Recordings;
  /** The file root; emptied only when `resetFiles`. */
  files?: FileRoot;
  /** `serve --reset-files`: Reset empties the file root. */
  resetFiles?: boolean;
  logger: Logger;
}

/** Reset, and with `unclaim` give the desktop back to its pool (FAILED_PRECONDITION without a bootstrap secret). */
export async function resetRpc(opts: ResetOptions, credentials: Credentials | undefined, unclaim: boolean): Promise<ResetResponse> {
  if (unclaim && !credentials?.claimable) {
    throw new FailedPreconditionError(
      "unclaim: this service was started with a token, not a bootstrap secret: nothing could claim it again",
    );
  }
  const res = await resetDesktop(opts);
  if (unclaim && credentials) {
    opts.logger.info({ claim: credentials.label }, "desktop given back: unclaimed");
    credentials.unclaim();
  }
  return res;
}

const us = (ms: number) => BigInt(Math.round(ms * 1000));

export async function resetDesktop(opts: ResetOptions): Promise<ResetResponse> {
  const t0 = performance.now();
  const steps: Omit<ResetStep, "$typeName">[] = [];
  const timed = async (name: string, part: () => Promise<string>) => {
    const start = performance.now();
    const detail = await part();
    steps.push({ name, durationUs: us(performance.now() - start), detail });
  };
  await timed("recordings", async () => `${await opts.recordings.discardAll()} deleted`);
  let files = "";
  let filesMs = 0;
  const { stopMs, startMs } = await opts.host.reset(async () => {
    const start = performance.now();
    if (!opts.files) files = "none: the file RPCs are off";
    else if (!opts.resetFiles) files = "kept (the service runs without --reset-files)";
    else files = `${await emptyRoot(opts.files.root)} entries removed`;
    filesMs = performance.now() - start;
  });
  steps.push(
    { name: "stop desktop", durationUs: us(stopMs), detail: "its programs' process groups killed, its X server stopped" },
    { name: "files", durationUs: us(filesMs), detail: files },
    { name: "start desktop", durationUs: us(startMs), detail: "a new X server, window manager and --open apps" },
  );
  const total = performance.now() - t0;
  opts.logger.info({ ms: Math.round(total), steps: steps.map((s) => `${s.name}: ${s.detail}`) }, "desktop reset");
  return create(ResetResponseSchema, { steps, totalUs: us(total) });
}
