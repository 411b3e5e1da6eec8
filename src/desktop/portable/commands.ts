/**
 * One portabledesktop session's commands: the CLI bound to that session's
 * own state file (a command of a replaced session can never reach its
 * successor), each outcome telling the session's stall watch whether the CLI
 * answers, input sent only while the call is wanted and, when the session's
 * X display is joined, right after its server answered a round trip (so a
 * stalled server is not handed input to carry out later).
 */
import type { Frame } from "../frame.js";
import type { Rect, Size } from "../geometry.js";
import { loadSharp } from "../image.js";
import type { StallWatch } from "../stall.js";
import type { X11Connection } from "../x11/connection.js";
import { type PortableDesktopCli, PortableDesktopCommandError } from "./cli.js";

export class SessionCommands {
  constructor(
    readonly cli: PortableDesktopCli,
    private readonly stall: StallWatch,
    /** The session's joined X display, when it could be joined. */
    readonly x?: X11Connection,
  ) {}

  /** A command; a timed-out one counts as the CLI not answering. */
  run(args: string[], positional: string[] = [], signal?: AbortSignal, timeoutMs?: number): Promise<string> {
    return this.watched(this.cli.run(args, positional, { signal, timeoutMs }));
  }

  /** A command that prints one JSON object. */
  json<T>(args: string[]): Promise<T> {
    return this.watched(this.cli.json<T>(args));
  }

  /**
   * An input command: sent only while `signal` has not aborted and, with a
   * joined display, right after its server answered. A cancelled or timed-out
   * command is killed (SIGKILL), so a stopped CLI never resumes.
   */
  async input(args: string[], positional: string[], signal?: AbortSignal, timeoutMs?: number): Promise<void> {
    if (this.x) await this.x.readyForInput(signal);
    else signal?.throwIfAborted();
    await this.run(args, positional, signal, timeoutMs);
  }

  /**
   * A frame from `screenshot --json` (base64 PNG): scaled to `size` by the
   * CLI (`--target-width/--target-height`), or cut to the native-pixel
   * `region`. The CLI always draws the pointer in.
   */
  async screenshot(opts: { size?: Size; region?: Rect } = {}): Promise<Frame> {
    const { size, region } = opts;
    const target = size ? ["--target-width", String(size.width), "--target-height", String(size.height)] : [];
    const shot = await this.json<{ data?: string }>(["screenshot", "--json", ...target]);
    if (typeof shot.data !== "string") throw new PortableDesktopCommandError(["screenshot"], 0, "", "output has no data field");
    const sharp = await loadSharp();
    let img = sharp(Buffer.from(shot.data, "base64")).removeAlpha();
    if (region) img = img.extract({ left: region.x, top: region.y, width: region.width, height: region.height });
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: 3, capturedAt: new Date() };
  }

  private async watched<T>(command: Promise<T>): Promise<T> {
    try {
      const out = await command;
      this.stall.answered();
      return out;
    } catch (err) {
      if (err instanceof PortableDesktopCommandError && err.timedOut) this.stall.missed(err.message);
      throw err;
    }
  }
}
