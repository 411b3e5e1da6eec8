/**
 * A desktop that stops answering (its X server or CLI is stopped, swapped out
 * or wedged): every request to it has a time limit, a heartbeat notices the
 * stall between calls, and a stall that lasts past a longer limit gets the
 * desktop replaced. Both backends use this; the limits are `desktopd serve
 * --desktop-timeout` and `--replace-after`.
 */
import { type Clock, systemClock } from "../os/clock.js";
import { TIMED_OUT, withTimeout } from "../os/sleep.js";
import { DesktopUnavailableError } from "./errors.js";

export interface StallLimits {
  /** Time one request to the desktop (an X request, a CLI command) may take before it fails UNAVAILABLE, ms. */
  requestTimeoutMs: number;
  /** Time the desktop may stay unresponsive before it is replaced, ms. */
  replaceAfterMs: number;
}

export const STALL_DEFAULTS: StallLimits = { requestTimeoutMs: 5000, replaceAfterMs: 30_000 };

/** Time between heartbeats, ms. */
const HEARTBEAT_MS = 1000;

/** A request that did not answer within its limit: UNAVAILABLE, naming the stalled part. */
export class DesktopStalledError extends DesktopUnavailableError {
  constructor(part: string, ms: number) {
    super(`${part} did not answer within ${ms} ms (stalled); the call sent no input after that`);
    this.name = "DesktopStalledError";
  }
}

/** `promise`, or DesktopStalledError naming `part` after `ms`. */
export async function bounded<T>(promise: Promise<T>, part: string, ms: number): Promise<T> {
  const r = await withTimeout(promise, ms);
  if (r === TIMED_OUT) {
    promise.catch(() => undefined);
    throw new DesktopStalledError(part, ms);
  }
  return r;
}

/**
 * Since when a desktop has not answered. Every answer (`answered`) clears
 * it; every miss (`missed`) starts it if it is not running. Time is the
 * injected clock's (src/os/clock.ts).
 */
export class StallWatch {
  private since?: number;
  private why?: string;
  private cancel?: () => void;
  private stopped = false;

  constructor(private readonly clock: Clock = systemClock) {}

  answered(): void {
    this.since = undefined;
    this.why = undefined;
  }

  missed(why: string): void {
    this.since ??= this.clock.now();
    this.why = why;
  }

  /** Why the desktop is not answering, or undefined while it answers. */
  get stalled(): string | undefined {
    return this.why;
  }

  /** How long it has not answered, ms (0 while it answers). */
  get stalledForMs(): number {
    return this.since === undefined ? 0 : this.clock.now() - this.since;
  }

  /**
   * Pings the desktop every HEARTBEAT_MS (one ping at a time) with `ping`,
   * which must reject on its own limit; calls `replace(why)` once the desktop
   * has not answered for `replaceAfterMs`. `stop()` ends it.
   */
  heartbeat(ping: () => Promise<unknown>, replaceAfterMs: number, replace: (why: string) => void): void {
    const beat = () => {
      this.cancel = this.clock.setTimeout(() => {
        void ping().then(
          () => {
            this.answered();
            if (!this.stopped) beat();
          },
          (err: Error) => {
            this.missed(err.message);
            if (this.stalledForMs >= replaceAfterMs) replace(`unresponsive for ${Math.round(this.stalledForMs / 1000)} s: ${err.message}`);
            else if (!this.stopped) beat();
          },
        );
      }, HEARTBEAT_MS);
    };
    beat();
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
  }
}
