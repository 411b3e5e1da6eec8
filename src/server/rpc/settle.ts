/**
 * The Settle request field: validation, defaults, and the SettleResult it
 * produces (proto/desktop/v1/desktop.proto, message Settle).
 */
import { create } from "@bufbuild/protobuf";
import { ScreenChangeSource, type Settle, type SettleResult, SettleResultSchema } from "../../../gen/desktop/v1/desktop_pb.js";
import type { ChangeSource, SettleOptions, SettleOutcome } from "../../desktop/screen-changes.js";
import { intInRange } from "./validate.js";

/** A settle with nothing said: quiet period and longest wait, ms. */
export const SETTLE_DEFAULTS = { quietMs: 300, timeoutMs: 5000 };
/** Upper bounds of the two fields, ms. */
export const SETTLE_LIMITS = { quietMs: 10_000, timeoutMs: 60_000 };

/** The settle a request asks for (0 = default), or undefined; InvalidInputError naming `field.quiet_ms` / `field.timeout_ms`. */
export function settleOptions(settle: Settle | undefined, field: string): Omit<SettleOptions, "signal"> | undefined {
  if (!settle) return undefined;
  const quietMs = intInRange(settle.quietMs, `${field}.quiet_ms`, 0, SETTLE_LIMITS.quietMs) || SETTLE_DEFAULTS.quietMs;
  const timeoutMs = intInRange(settle.timeoutMs, `${field}.timeout_ms`, 0, SETTLE_LIMITS.timeoutMs) || SETTLE_DEFAULTS.timeoutMs;
  return { quietMs, timeoutMs };
}

export const SOURCE_ENUM: Record<ChangeSource, ScreenChangeSource> = {
  damage: ScreenChangeSource.DAMAGE,
  frames: ScreenChangeSource.FRAMES,
};

export function toSettleResult(outcome: SettleOutcome, source: ChangeSource): SettleResult {
  return create(SettleResultSchema, { settled: outcome.settled, waitedMs: Math.round(outcome.waitedMs), source: SOURCE_ENUM[source] });
}
