/**
 * One owner of a desktop's life, for every backend. A backend says how to
 * launch a session and how to stop one; the keeper holds the rules:
 *
 * - lazy start: the first `get()` launches, and concurrent callers share that
 *   one launch;
 * - a session reported dead (`lost`) or failing the backend's probe is
 *   stopped and replaced once, on the next `get()`;
 * - `close()` is final and idempotent: it waits for a launch in flight, stops
 *   the session, and every later `get()` throws DesktopClosedError; a launch
 *   that finishes after `close()` began is stopped and its caller rejected.
 */
import type { Logger } from "pino";
import { DesktopClosedError } from "./errors.js";

export interface SessionLauncher<S> {
  /** Starts a new session; rejects (DesktopUnavailableError) when it cannot. */
  launch(): Promise<S>;
  /**
   * Stops a session and everything it started; never rejects. `why` is
   * "replaced" for a dead session about to be replaced, "closed" at close.
   */
  stop(session: S, why: "replaced" | "closed"): Promise<void>;
  /**
   * A cheap synchronous liveness check run on every `get()`, for liveness
   * a backend cannot be told about as it happens: why the session is dead, or
   * undefined while it lives.
   */
  probe?(session: S): string | undefined;
  /** Log fields that identify a session (its display, say). */
  describe?(session: S): Record<string, unknown>;
}

export class SessionKeeper<S extends object> {
  private session?: S;
  /** Why each session died, once it has (reported before it was held, too). */
  private readonly deaths = new WeakMap<S, string>();
  private launching?: Promise<S>;
  private closing?: Promise<void>;

  constructor(
    private readonly launcher: SessionLauncher<S>,
    private readonly logger: Logger,
  ) {}

  /** The live session, launching or replacing it first when needed. Throws DesktopClosedError after `close()`. */
  get(): Promise<S> {
    if (this.closing) return Promise.reject(new DesktopClosedError());
    const session = this.current();
    if (session) {
      const dead = this.launcher.probe?.(session);
      if (dead === undefined) return Promise.resolve(session);
      this.lost(session, dead);
    }
    this.launching ??= this.replace().finally(() => {
      this.launching = undefined;
    });
    return this.launching;
  }

  /** The session if one is running and not known to be dead; never launches. */
  current(): S | undefined {
    return this.session && !this.deaths.has(this.session) ? this.session : undefined;
  }

  /**
   * The backend's liveness signal: `session` died (`reason` says how). The
   * next `get()` replaces it. Only the first report counts; deaths caused by
   * `close()` are expected and not reported.
   */
  lost(session: S, reason: string): void {
    if (this.closing || this.deaths.has(session)) return;
    this.deaths.set(session, reason);
    this.logger.warn({ ...this.describe(session), reason }, "desktop lost");
  }

  /**
   * `session` is dead (`reason`) and is replaced now rather than on the next
   * call (a desktop stalled for long: nobody may call to notice). A failed
   * launch is logged; the next `get()` tries again.
   */
  replaceNow(session: S, reason: string): void {
    this.lost(session, reason);
    if (this.closing) return;
    this.get().catch((err: Error) => this.logger.error({ err: err.message }, "replacing the desktop failed"));
  }

  private async replace(): Promise<S> {
    const dead = this.session;
    this.session = undefined;
    if (dead) {
      this.logger.warn({ ...this.describe(dead), reason: this.deaths.get(dead) }, "desktop died; starting a new one");
      await this.launcher.stop(dead, "replaced");
      if (this.closing) throw new DesktopClosedError();
    }
    const session = await this.launcher.launch();
    if (this.closing) {
      await this.launcher.stop(session, "closed");
      throw new DesktopClosedError();
    }
    // Held even if it died while launching: the next get() then replaces it.
    this.session = session;
    return session;
  }

  /** Stops the session for good (see the module comment); idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.launching?.catch(() => undefined);
      const session = this.session;
      this.session = undefined;
      if (session) await this.launcher.stop(session, "closed");
    })();
    return this.closing;
  }

  private describe(session: S): Record<string, unknown> {
    return this.launcher.describe?.(session) ?? {};
  }
}
