/**
 * The ActionBatch RPC: up to MAX_BATCH actions in order on one session, an
 * agent's turn of tool calls in one round trip. Every action is checked
 * before the first runs (src/server/rpc/action.ts, `checkAction`), so a bad
 * one fails the call and nothing happens; then they run one after another
 * and the first failure stops the rest, which are reported not executed.
 * One settle and one screenshot may follow the last action that ran.
 */
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import {
  type ActionBatchRequest,
  type ActionBatchResponse,
  ActionBatchResponseSchema,
  type BatchedActionResult,
  BatchedActionResultSchema,
  BatchedActionStatus,
} from "../../../gen/desktop/v1/desktop_pb.js";
import type { DesktopHost } from "../../desktop/desktop.js";
import { InvalidInputError } from "../../desktop/errors.js";
import { callSession, captureAfter, checkAction, checkCall, perform, toPbPhases } from "./action.js";
import { toPbImage } from "./convert.js";
import { toConnectError } from "./errors.js";
import { FrameIds } from "./frame-ids.js";
import { Phases } from "./phases.js";
import { toSettleResult } from "./settle.js";

/** Most actions in one batch. */
export const MAX_BATCH = 64;

/**
 * Runs a batch (see the proto's ActionBatch). `phases` sums the whole
 * batch's time; each result has its own. The call's own cancellation or
 * deadline ends it with that error, the actions done so far staying done.
 */
export async function runActionBatch(
  host: DesktopHost,
  req: ActionBatchRequest,
  signal: AbortSignal,
  phases = new Phases(),
  frames = new FrameIds(),
): Promise<ActionBatchResponse> {
  const n = req.actions.length;
  if (n === 0 || n > MAX_BATCH) throw new InvalidInputError("actions", `must hold 1 to ${MAX_BATCH} actions, not ${n}`);
  const call = checkCall(req);
  const { session, geo } = await callSession(host, req, call, frames, signal);
  const clamp = req.clampCoordinates;
  for (const [k, a] of req.actions.entries()) await checkAction(a.action, geo, clamp, `actions[${k}].`);

  const results: BatchedActionResult[] = [];
  let desktopFailed = false;
  let cursor: ActionBatchResponse["cursor"];
  for (const [k, a] of req.actions.entries()) {
    if (results.some((r) => r.status === BatchedActionStatus.FAILED)) {
      results.push(create(BatchedActionResultSchema, { status: BatchedActionStatus.NOT_EXECUTED }));
      continue;
    }
    const own = new Phases();
    try {
      const done = await perform(session, a.action, { geo, clamp, signal, phases: own, prefix: `actions[${k}].` });
      cursor = done.cursor;
      results.push(
        create(BatchedActionResultSchema, {
          status: BatchedActionStatus.DONE,
          output: done.output,
          cursor: done.cursor,
          image: done.image && toPbImage(done.image, frames.register(session, geo.declared)),
          phases: toPbPhases(own),
        }),
      );
    } catch (err) {
      // The call's own end is the call's error, not an action's.
      if (signal.aborted) throw err;
      const e = toConnectError(err);
      desktopFailed = e.code === Code.Unavailable;
      results.push(
        create(BatchedActionResultSchema, {
          status: BatchedActionStatus.FAILED,
          code: e.code,
          message: e.rawMessage,
          phases: toPbPhases(own),
        }),
      );
    } finally {
      for (const [phase, us] of Object.entries(own.us)) phases.us[phase as keyof typeof own.us] += us;
    }
  }
  const res = create(ActionBatchResponseSchema, { results, cursor });
  if (!desktopFailed) {
    const { settle } = call;
    if (settle)
      res.settle = toSettleResult(await phases.time("settle", () => session.settle({ ...settle, signal })), session.changes.source);
    const image = await captureAfter(session, geo, call, signal, phases);
    res.screenshot = image && toPbImage(image, frames.register(session, geo.declared));
  }
  res.phases = toPbPhases(phases);
  return res;
}
