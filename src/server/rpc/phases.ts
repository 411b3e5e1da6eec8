/**
 * Where one Action's time went: `order` (waiting for the app to take earlier
 * input of the other kind: src/desktop/input-order.ts), `input`, `settle`,
 * `capture` (reading the framebuffer), `encode` (PNG/JPEG/WebP). Each phase
 * sums its spans, microseconds; phases that did not run stay 0.
 */
import type { ActionPhase } from "../metrics/metrics.js";

export type PhaseTimes = Record<ActionPhase, number>;

export class Phases {
  readonly us: PhaseTimes = { order: 0, input: 0, settle: 0, capture: 0, encode: 0 };

  /** Runs `fn`, adding its time to `phase` (failed spans too). */
  async time<T>(phase: ActionPhase, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.add(phase, t0);
    }
  }

  /** Adds the time since `t0` (performance.now(), ms) to `phase`. */
  add(phase: ActionPhase, t0: number): void {
    this.us[phase] += Math.round((performance.now() - t0) * 1000);
  }
}
