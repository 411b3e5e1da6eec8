/**
 * One built-in desktop (Debian's Xvnc and openbox, driven in process over
 * X11): XTEST input, frames from a copy of the screen kept current by
 * DAMAGE and MIT-SHM (src/desktop/x11/screen-mirror.ts), the pointer drawn from
 * XFixes, the VNC server on a Unix socket, recordings by ffmpeg x11grab. No
 * process is spawned per action or per screenshot.
 */
import type { Socket } from "node:net";
import type { Logger } from "pino";
import type { DesktopApps } from "../apps.js";
import type { CaptureOptions, DisplayEndpoint, Recorder, RecordOptions } from "../desktop.js";
import { dialVnc } from "../dial-vnc.js";
import { DesktopUnavailableError } from "../errors.js";
import type { Frame } from "../frame.js";
import type { Point, Size } from "../geometry.js";
import { drawPointer } from "../image.js";
import type { ScreenChanges } from "../screen-changes.js";
import type { SessionDriver } from "../session.js";
import type { StallWatch } from "../stall.js";
import type { FrameReader } from "../x11/capture.js";
import type { X11Session } from "../x11/x11-session.js";
import { recordX11 } from "./record.js";
import type { XServer } from "./xserver.js";
import type { XTestInput } from "./xtest-input.js";

export class BuiltinDriver implements SessionDriver {
  /** The pointer image failed once (logged once per desktop). */
  private cursorFailed = false;

  constructor(
    readonly server: XServer,
    readonly x11: X11Session,
    private readonly reader: FrameReader,
    readonly input: XTestInput,
    readonly stall: StallWatch,
    private readonly opts: { ffmpeg: string; env: NodeJS.ProcessEnv; logger: Logger },
  ) {}

  get native(): Size {
    return { width: this.x11.x.width, height: this.x11.x.height };
  }

  get endpoint(): DisplayEndpoint {
    const { display, cookie, xauthority } = this.server;
    return { display, cookie, xauthority };
  }

  get changes(): ScreenChanges {
    return this.x11.changes;
  }

  get apps(): DesktopApps {
    return this.server.apps;
  }

  get pids(): number[] {
    return this.server.pids;
  }

  /**
   * With `includeCursor`, a pointer image the server will not give (an X
   * error such as BadAccess) leaves the frame without it, saying why in
   * `cursorOmitted` (logged once per desktop), rather than failing the frame.
   */
  async capture(opts: CaptureOptions = {}): Promise<Frame> {
    const { x } = this.x11;
    const region = opts.region ?? { x: 0, y: 0, width: x.width, height: x.height };
    let omitted: string | undefined;
    const sprite = opts.includeCursor
      ? this.reader.cursorImage().catch((err: Error) => {
          if (err instanceof DesktopUnavailableError) throw err;
          omitted = `the pointer image could not be read: ${err.message}`;
          if (!this.cursorFailed)
            this.opts.logger.warn({ display: this.server.display, err: err.message }, "pointer image unavailable; frames go without it");
          this.cursorFailed = true;
          return undefined;
        })
      : undefined;
    // The pointer is drawn in native pixels: a frame with it is read at native size.
    const [pixels, image] = await Promise.all([this.x11.screen.read(region, opts.includeCursor ? undefined : opts.size), sprite]);
    const frame: Frame = { data: pixels.data, ...pixels.size, channels: 3, capturedAt: new Date(), version: pixels.version };
    // The pixels are the screen copy's: drawn on a copy of them. The pointer
    // moves without DAMAGE: a frame with it drawn has no version.
    if (image) {
      frame.data = Buffer.from(frame.data);
      frame.version = undefined;
      drawPointer(frame, image, region);
    }
    return omitted ? { ...frame, cursorOmitted: omitted } : frame;
  }

  async cursorPosition(): Promise<Point> {
    const p = await this.x11.x.pointer();
    return { x: p.x, y: p.y };
  }

  connectVnc(): Promise<Socket> {
    return dialVnc({ path: this.server.vncSocket });
  }

  /** An `ffmpeg -f x11grab` recording of this display (src/desktop/builtin/record.ts). */
  record(opts: RecordOptions): Promise<Recorder> {
    const { display, xauthority } = this.server;
    return recordX11({
      ...opts,
      ffmpeg: this.opts.ffmpeg,
      env: this.opts.env,
      display,
      xauthority,
      size: this.native,
      logger: this.opts.logger,
    });
  }
}
