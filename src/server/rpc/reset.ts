/**
 * Reset: the desktop back to a clean state for the next task, each part
 * timed (proto: DesktopService.Reset). Recordings go first (their encoders
 * read the old display), the file root is emptied while no program of the
 * desktop runs but the window manager (none can write into it, or race its
 * removal, from then on), and the answer waits for the desktop to take
 * input. In place or on a new X server: src/desktop/session-host.ts.
 */
import { create } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import { type ResetResponse, ResetResponseSchema, type ResetStep } from "../../../gen/desktop/v1/desktop_pb.js";
import type { DesktopHost } from "../../desktop/desktop.js";
import { FailedPreconditionError } from "../../desktop/errors.js";
import { emptyRoot } from "../../files/empty-root.js";
import type { FileRoot } from "../../files/file-root.js";
import { copyTemplate } from "../../files/root-template.js";
import type { Recordings } from "../../recordings/recordings.js";
import type { Credentials } from "../transport/credentials.js";

export interface ResetOptions {
  host: DesktopHost;
  recordings: Recordings;
  /** The file root; emptied only when `resetFiles`. */
  files?: FileRoot;
  /** `serve --reset-files`: Reset empties the file root. */
  resetFiles?: boolean;
  /** `serve --file-root-template`: then fills it with a copy of this directory (checked: src/files/root-template.ts). */
  fileTemplate?: string;
  logger: Logger;
}

/** Reset, and with `unclaim` give the desktop back to its pool (FAILED_PRECONDITION without a bootstrap secret). */
export async function resetRpc(
  opts: ResetOptions,
  credentials: Credentials | undefined,
  req: { unclaim: boolean; newXServer: boolean },
): Promise<ResetResponse> {
  if (req.unclaim && !credentials?.claimable) {
    throw new FailedPreconditionError(
      "unclaim: this service was started with a token, not a bootstrap secret: nothing could claim it again",
    );
  }
  const res = await resetDesktop(opts, { newServer: req.newXServer });
  if (req.unclaim && credentials) {
    opts.logger.info({ claim: credentials.label }, "desktop given back: unclaimed");
    credentials.unclaim();
  }
  return res;
}

const us = (ms: number) => BigInt(Math.round(ms * 1000));

export async function resetDesktop(opts: ResetOptions, how: { newServer?: boolean } = {}): Promise<ResetResponse> {
  const t0 = performance.now();
  const steps: Omit<ResetStep, "$typeName">[] = [];
  const step = (name: string, ms: number, detail: string) => steps.push({ name, durationUs: us(ms), detail });
  const deleted = await opts.recordings.discardAll();
  step("recordings", performance.now() - t0, `${deleted} deleted`);
  let files = "";
  let filesMs = 0;
  const outcome = await opts.host.reset(async () => {
    const start = performance.now();
    if (!opts.files) files = "none: the file RPCs are off";
    else if (!opts.resetFiles) files = "kept (the service runs without --reset-files)";
    else {
      files = `${await emptyRoot(opts.files.root)} entries removed`;
      if (opts.fileTemplate) {
        await copyTemplate(opts.fileTemplate, opts.files.root);
        files += ", the template copied in";
      }
    }
    filesMs = performance.now() - start;
  }, how);
  for (const p of outcome.before) step(p.name, p.ms, p.detail);
  step("files", filesMs, files);
  for (const p of outcome.after) step(p.name, p.ms, p.detail);
  const total = performance.now() - t0;
  opts.logger.info(
    { ms: Math.round(total), newXServer: outcome.newServer, why: outcome.why, steps: steps.map((s) => `${s.name}: ${s.detail}`) },
    "desktop reset",
  );
  return create(ResetResponseSchema, {
    steps,
    totalUs: us(total),
    newXServer: outcome.newServer,
    why: outcome.newServer ? (outcome.why ?? "") : "",
  });
}
