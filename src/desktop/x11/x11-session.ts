/**
 * A desktop's X display as desktopd joins it, the same for both backends:
 * the connection requests go over (pointer, keyboard mapping, windows), a
 * second one keeping a copy of the screen from DAMAGE, which feeds the
 * session's change log and serves screenshots, the clipboard's own connection (opened on first
 * use; selection events are per client), the EWMH window requests, and a
 * heartbeat that tells the stall watch whether the server answers.
 */
import type { Logger } from "pino";
import type { Clock } from "../../os/clock.js";
import type { ClipboardControl, SelectionName, WindowControl } from "../desktop.js";
import { DesktopUnavailableError } from "../errors.js";
import { ChangeLog } from "../screen-changes.js";
import type { StallWatch } from "../stall.js";
import { type CleanReport, cleanDisplay } from "./clean-display.js";
import { Clipboard } from "./clipboard.js";
import { X11Connection } from "./connection.js";
import { ScreenMirror } from "./screen-mirror.js";
import { ewmhWindows } from "./windows.js";
import type { XTest } from "./xtest.js";

export interface X11SessionOptions {
  /** ":N". */
  display: string;
  /** MIT-MAGIC-COOKIE-1 (latin1); "" when the server takes none. */
  cookie: string;
  /** What a stalled request names ("Xvnc (X display :1)"). */
  part: string;
  requestTimeoutMs: number;
  logger: Logger;
  clock: Clock;
}

export class X11Session {
  private clip?: Promise<Clipboard>;

  private constructor(
    /** The connection requests go over. */
    readonly x: X11Connection,
    private readonly watcher: X11Connection,
    /** The screen's changes, from DAMAGE checked against the pixels. */
    readonly changes: ChangeLog,
    /** The screen's pixels, kept current from DAMAGE. */
    readonly screen: ScreenMirror,
    private readonly opts: X11SessionOptions,
  ) {}

  /** Joins `opts.display`: DesktopUnavailableError when it cannot be reached or has no DAMAGE. */
  static async join(opts: X11SessionOptions): Promise<X11Session> {
    const limits = { part: opts.part, requestTimeoutMs: opts.requestTimeoutMs };
    let x: X11Connection | undefined;
    let watcher: X11Connection | undefined;
    try {
      x = await X11Connection.connect(opts.display, opts.cookie, limits);
      watcher = await X11Connection.connect(opts.display, opts.cookie, limits);
      const [a, b] = [x, watcher];
      // Input handled by the server first, then every damage it caused delivered.
      const changes = new ChangeLog({
        source: "damage",
        clock: opts.clock,
        sync: async () => {
          await a.sync();
          await b.sync();
        },
      });
      const screen = await ScreenMirror.start(watcher, changes, opts.logger);
      return new X11Session(x, watcher, changes, screen, opts);
    } catch (err) {
      x?.close();
      watcher?.close();
      throw new DesktopUnavailableError(`cannot join X display ${opts.display}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Calls `lost(why)` once either connection is lost. */
  onLost(lost: (why: string) => void): void {
    this.x.onLost = (err) => lost(err.message);
    this.watcher.onLost = (err) => lost(err.message);
  }

  /** The selections, on a connection of their own opened at first use (a failed open is retried next time). */
  get clipboard(): ClipboardControl & { paste(text: string, press: () => Promise<void>): Promise<void> } {
    const open = () => {
      this.clip ??= Clipboard.connect(this.opts.display, this.opts.cookie, {
        part: this.opts.part,
        requestTimeoutMs: this.opts.requestTimeoutMs,
      }).catch((err: Error) => {
        this.clip = undefined;
        throw err;
      });
      return this.clip;
    };
    return {
      get: async (selection: SelectionName, signal?: AbortSignal) => (await open()).get(selection, signal),
      set: async (text: string, selection: SelectionName) => (await open()).set(text, selection),
      paste: async (text: string, press: () => Promise<void>) => (await open()).paste(text, press),
    };
  }

  /** The managed windows; CloseWindow kills only processes `mayKill` allows. */
  windows(mayKill: (pid: number) => boolean): WindowControl {
    return ewmhWindows(this.x, mayKill);
  }

  /**
   * Cleans the display in place for Reset (src/desktop/x11/clean-display.ts):
   * the clipboard's connection is closed first (its selections go with it;
   * the next use opens a new one), then every client but this session's
   * connections and `keepPids`' is disconnected.
   */
  async clean(xtest: XTest, keepPids: number[]): Promise<CleanReport> {
    const clip = await this.clip?.catch(() => undefined);
    this.clip = undefined;
    clip?.close();
    // The closed clipboard connection may still be listed for a moment: it is ours all the same.
    const own = [this.x.resourceBase, this.watcher.resourceBase, ...(clip ? [clip.resourceBase] : [])];
    return cleanDisplay({ x: this.x, xtest, own, keepPids });
  }

  /** Pings the server between calls for `stall` (src/desktop/stall.ts); `replace` once it stalled for `replaceAfterMs`. */
  heartbeat(stall: StallWatch, replaceAfterMs: number, replace: (why: string) => void): void {
    stall.heartbeat(() => this.x.sync(), replaceAfterMs, replace);
  }

  /** Closes every connection; with `restoreKeymap`, lent keycodes are given back first (a client still connected sees the original keymap). */
  async close(restoreKeymap = false): Promise<void> {
    void this.clip?.then(
      (c) => c.close(),
      () => undefined,
    );
    if (restoreKeymap && this.x.connected) await this.x.keys.restore().catch(() => undefined);
    this.x.close();
    this.watcher.close();
  }
}
