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
 * - `reset()` makes the desktop clean on purpose: its calls and streams fail
 *   UNAVAILABLE ("... was reset"); a backend that can cleans it in place
 *   (a new session over the same X server), otherwise, or when asked, it is
 *   stopped with everything it started and a new one is launched (the
 *   `--open` apps with it);
 * - `close()` is final and idempotent: it waits for a launch in flight, stops
 *   the desktop, and every later `session()` throws DesktopClosedError; a
 *   launch that finishes after `close()` began is stopped and its callers
 *   rejected.
 */
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import { abortable } from "../os/sleep.js";
import type { DesktopHost, HostEvents, Readiness, ResetOutcome, ResetPart } from "./desktop.js";
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
  /**
   * Cleans desktop `driver` in place for Reset, without a new X server:
   * stops its programs but the window manager, runs `whileStopped`, makes
   * the display fresh and starts the `--open` apps again; resolves with the
   * parts before and after `whileStopped`, timed. Rejects when the desktop
   * cannot be cleaned (the host then starts a new one). Without it every
   * Reset starts a new desktop.
   */
  clean?(driver: D, whileStopped: () => Promise<void>): Promise<{ before: ResetPart[]; after: ResetPart[] }>;
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
  /** Points a desktop's event reports (lost, replace) at the session that now holds it, after an in-place reset. */
  private readonly rebind = new WeakMap<object, (s: Session) => void>();
  private closing?: Promise<void>;
  /** Whether a desktop ran before (a launch is then a replacement). */
  private started = false;
  /** Why the last desktop was lost. */
  private lastLoss?: string;
  /** Why the last launch failed, until one succeeds. */
  private failure?: string;
  readonly events = new EventEmitter<HostEvents>();
  firstStartMs?: number;

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
   * Makes the desktop clean for the next task. By default in place when the
   * backend can (`SessionLauncher.clean`) and the desktop is alive: its
   * programs but the window manager stopped, `whileStopped` run, the display
   * made fresh; with `newServer` (or when cleaning in place fails) it is
   * stopped with everything it started (a launch in flight finishes first),
   * `whileStopped` runs (no program of the desktop runs then), and a new one
   * is launched. Either way the old session's calls and streams fail
   * UNAVAILABLE ("... was reset"), calls wait for the new session, and this
   * resolves once it takes input. DesktopClosedError after close.
   */
  async reset(whileStopped: () => Promise<void> = async () => {}, opts: { newServer?: boolean } = {}): Promise<ResetOutcome> {
    if (this.closing) throw new DesktopClosedError();
    await this.launching?.catch(() => undefined);
    const old = this.running;
    const clean = this.launcher.clean?.bind(this.launcher);
    const alive = old !== undefined && !this.deaths.has(old) && this.launcher.probe?.(old.driver as D) === undefined;
    if (old) {
      this.running = undefined;
      this.opts.logger.info({ ...this.describe(old), newServer: opts.newServer === true }, "resetting the desktop");
      this.deaths.set(old, "reset");
      this.lastLoss = "reset";
      old.markLost("was reset");
    }
    let ran = false;
    const once = async () => {
      if (ran) return;
      ran = true;
      await whileStopped();
    };
    const work = (async (): Promise<ResetOutcome & { session: Session }> => {
      let why: string | undefined;
      if (old && alive && clean && !opts.newServer) {
        try {
          const parts = await clean(old.driver as D, once);
          if (this.closing) {
            // close() found no running desktop to stop: this one is ours to stop.
            await this.launcher.stop(old.driver as D, "closed");
            throw new DesktopClosedError();
          }
          return { session: this.adopt(old.driver as D), newServer: false, ...parts };
        } catch (err) {
          if (err instanceof DesktopClosedError) throw err;
          why = `it could not be cleaned in place: ${(err as Error).message}`;
          this.opts.logger.warn(
            { ...this.describe(old), err: (err as Error).message },
            "cleaning the desktop in place failed; starting a new one",
          );
        }
      }
      const t0 = performance.now();
      if (old) await this.launcher.stop(old.driver as D, "replaced");
      if (this.closing) throw new DesktopClosedError();
      const stopMs = performance.now() - t0;
      await once();
      const t1 = performance.now();
      const session = await this.replace();
      return {
        session,
        newServer: true,
        why:
          why ??
          (opts.newServer
            ? "asked for"
            : old && !alive
              ? "the old desktop was dead"
              : clean
                ? undefined
                : `the ${this.backend} backend cannot clean one in place`),
        before: [{ name: "stop desktop", ms: stopMs, detail: "its programs' process groups killed, its X server stopped" }],
        after: [{ name: "start desktop", ms: performance.now() - t1, detail: "a new X server, window manager and --open apps" }],
      };
    })();
    const launching = work
      .then((r) => r.session)
      .finally(() => {
        if (this.launching === launching) this.launching = undefined;
      });
    launching.catch(() => undefined);
    this.launching = launching;
    return work;
  }

  /** A new session over a desktop cleaned in place; its reports of death now reach it. */
  private adopt(driver: D): Session {
    const session = new Session(driver, this.opts);
    this.rebind.get(driver)?.(session);
    this.running = session;
    this.opts.logger.info(this.describe(session), "desktop cleaned in place");
    return session;
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
    this.rebind.set(driver, (s) => {
      session = s;
    });
    if (this.closing) {
      session.markLost("closed");
      await this.launcher.stop(driver, "closed");
      throw new DesktopClosedError();
    }
    // Held even if it died while launching: the next session() then replaces it.
    this.running = session;
    this.failure = undefined;
    const ms = performance.now() - t0;
    if (!this.started) this.firstStartMs = ms;
    this.events.emit("started", { ms, replacement: this.started });
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
