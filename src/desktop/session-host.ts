/**
 * The DesktopHost of every backend: the rules of a desktop's life, once. A
 * backend says how to launch one desktop (a SessionDriver) and how to stop
 * one; the host holds the rules:
 *
 * - lazy start: the first `session()` launches, and concurrent callers share
 *   that one launch;
 * - a desktop reported dead (`events.lost`), or failing the backend's probe,
 *   is marked lost at once (its session's calls fail UNAVAILABLE from then
 *   on), then stopped and replaced once, on the next `session()`; one stalled
 *   for good (`events.replace`) is replaced without waiting for a call;
 * - `reset()` replaces the running desktop on purpose: its calls and streams
 *   fail UNAVAILABLE ("... was reset"), it is stopped with everything it
 *   started, and a new one is launched (the `--open` apps with it);
 * - `close()` is final and idempotent: it waits for a launch in flight, stops
 *   the desktop, and every later `session()` throws DesktopClosedError; a
 *   launch that finishes after `close()` began is stopped and its callers
 *   rejected.
 */
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import { abortable } from "../os/sleep.js";
import type { DesktopHost, HostEvents, Readiness } from "./desktop.js";
import { DesktopClosedError } from "./errors.js";
import { Session, type SessionDriver, type SessionOptions } from "./session.js";

/** What a launched desktop tells its host. */
export interface SessionEvents {
  /** It died (`why`: "Xvnc exited"); the next call replaces it. Only the first report counts. */
  lost(why: string): void;
  /** It stalled for good; replace it now, not on the next call (nobody may call to notice). */
  replace(why: string): void;
}

export interface SessionLauncher<D extends SessionDriver> {
  /** Starts a new desktop; rejects (DesktopUnavailableError) when it cannot. */
  launch(events: SessionEvents): Promise<D>;
  /**
   * Stops a desktop and everything it started; never rejects. `why` is
   * "replaced" for a dead desktop about to be replaced, "closed" at close.
   */
  stop(driver: D, why: "replaced" | "closed"): Promise<void>;
  /** A cheap synchronous liveness check on every `session()`: why the desktop is dead, or undefined while it lives. */
  probe?(driver: D): string | undefined;
  /** Log fields that identify a desktop (its display, say). */
  describe?(driver: D): Record<string, unknown>;
  /** At close, after the last desktop stopped: what the launcher itself holds (its runtime directory). */
  dispose?(): Promise<void>;
}

export interface SessionHostOptions extends SessionOptions {
  logger: Logger;
}

export class SessionHost<D extends SessionDriver = SessionDriver> implements DesktopHost {
  private running?: Session;
  /** Why each session died, once it has (reported before it was held, too). */
  private readonly deaths = new WeakMap<Session, string>();
  private launching?: Promise<Session>;
  private closing?: Promise<void>;
  /** Whether a desktop ran before (a launch is then a replacement). */
  private started = false;
  /** Why the last desktop was lost. */
  private lastLoss?: string;
  /** Why the last launch failed, until one succeeds. */
  private failure?: string;
  readonly events = new EventEmitter<HostEvents>();

  constructor(
    readonly backend: string,
    private readonly launcher: SessionLauncher<D>,
    private readonly opts: SessionHostOptions,
  ) {}

  session(signal?: AbortSignal): Promise<Session> {
    if (this.closing) return Promise.reject(new DesktopClosedError());
    const s = this.current();
    if (s) {
      const dead = this.launcher.probe?.(s.driver as D);
      if (dead === undefined) return Promise.resolve(s);
      this.lost(s, dead);
    }
    this.launching ??= this.replace().finally(() => {
      this.launching = undefined;
    });
    return signal ? abortable(this.launching, signal) : this.launching;
  }

  current(): Session | undefined {
    return this.running && !this.deaths.has(this.running) ? this.running : undefined;
  }

  stalled(): string | undefined {
    return this.current()?.stalled();
  }

  readiness(): Readiness {
    if (this.closing) return { ready: false, state: "closed", reason: "the service is shutting down" };
    const s = this.current();
    if (s) {
      const dead = this.launcher.probe?.(s.driver as D);
      if (dead !== undefined) return { ready: false, state: "lost", reason: dead };
      const stalled = s.stalled();
      return stalled === undefined ? { ready: true } : { ready: false, state: "stalled", reason: stalled };
    }
    if (this.launching) {
      return this.started
        ? {
            ready: false,
            state: "replacing",
            reason:
              this.lastLoss === "reset"
                ? "the desktop is being reset"
                : `replacing the desktop, which ${this.lastLoss ? `died: ${this.lastLoss}` : "died"}`,
          }
        : { ready: false, state: "starting", reason: "the desktop is starting" };
    }
    const died = this.running && this.deaths.get(this.running);
    if (died) return { ready: false, state: "lost", reason: died };
    return { ready: false, state: "starting", reason: this.failure ? `the desktop failed to start: ${this.failure}` : "not started yet" };
  }

  /** `s` died (`why`): its calls fail from now on, and the next `session()` replaces it. */
  private lost(s: Session, why: string): void {
    if (this.closing || this.deaths.has(s)) return;
    this.deaths.set(s, why);
    s.markLost(`died: ${why}`);
    this.lastLoss = why;
    this.events.emit("lost", { reason: why });
    this.opts.logger.warn({ ...this.describe(s), reason: why }, "desktop lost");
  }

  /**
   * Stops the running desktop (a launch in flight finishes first), runs
   * `whileStopped` (no program of the desktop runs then), and starts a new
   * one; resolves with it once it takes input, and how long stopping and
   * starting took (ms). The old desktop's calls and streams fail UNAVAILABLE ("... was
   * reset"). DesktopClosedError after close.
   */
  async reset(whileStopped?: () => Promise<void>): Promise<{ session: Session; stopMs: number; startMs: number }> {
    if (this.closing) throw new DesktopClosedError();
    await this.launching?.catch(() => undefined);
    const t0 = performance.now();
    let stopMs = 0;
    const old = this.running;
    if (old) {
      this.running = undefined;
      this.opts.logger.info(this.describe(old), "resetting the desktop: stopping it");
      this.deaths.set(old, "reset");
      this.lastLoss = "reset";
      old.markLost("was reset");
      await this.launcher.stop(old.driver as D, "replaced");
      stopMs = performance.now() - t0;
      if (this.closing) throw new DesktopClosedError();
    }
    await whileStopped?.();
    const t1 = performance.now();
    const session = await this.session();
    return { session, stopMs, startMs: performance.now() - t1 };
  }

  private async replace(): Promise<Session> {
    const dead = this.running;
    this.running = undefined;
    if (dead) {
      this.opts.logger.warn({ ...this.describe(dead), reason: this.deaths.get(dead) }, "desktop died; starting a new one");
      dead.markLost("was replaced");
      await this.launcher.stop(dead.driver as D, "replaced");
      if (this.closing) throw new DesktopClosedError();
    }
    let session: Session | undefined;
    const events: SessionEvents = {
      // Reports may come while launching: they are kept for the session the launch makes.
      lost: (why) => {
        if (session) this.lost(session, why);
        else early ??= why;
      },
      replace: (why) => {
        if (!session) {
          early ??= why;
          return;
        }
        this.lost(session, why);
        if (this.closing) return;
        this.session().catch((err: Error) => this.opts.logger.error({ err: err.message }, "replacing the desktop failed"));
      },
    };
    let early: string | undefined;
    const t0 = performance.now();
    let driver: D;
    try {
      driver = await this.launcher.launch(events);
    } catch (err) {
      this.failure = (err as Error).message;
      this.events.emit("failed", { ms: performance.now() - t0, reason: this.failure, replacement: this.started });
      throw err;
    }
    session = new Session(driver, this.opts);
    if (this.closing) {
      session.markLost("closed");
      await this.launcher.stop(driver, "closed");
      throw new DesktopClosedError();
    }
    // Held even if it died while launching: the next session() then replaces it.
    this.running = session;
    this.failure = undefined;
    this.events.emit("started", { ms: performance.now() - t0, replacement: this.started });
    this.started = true;
    if (early !== undefined) this.lost(session, early);
    return session;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.launching?.catch(() => undefined);
      const s = this.running;
      this.running = undefined;
      if (s) {
        s.markLost("closed");
        await this.launcher.stop(s.driver as D, "closed");
      }
      await this.launcher.dispose?.();
    })();
    return this.closing;
  }

  private describe(s: Session): Record<string, unknown> {
    return this.launcher.describe?.(s.driver as D) ?? {};
  }
}
