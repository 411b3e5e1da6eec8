/**
 * One portabledesktop session (https://github.com/coder/portabledesktop),
 * driven through its CLI, one process per command, bound to the session's
 * own state file (src/desktop/portable/commands.ts). Its X display is
 * joined when its server lets us (no cookie): DAMAGE for screen changes,
 * windows, the clipboard; otherwise those are UNIMPLEMENTED with the reason
 * and screen changes come from compared frames.
 */
import type { Socket } from "node:net";
import type { Logger } from "pino";
import type { DesktopApps } from "../apps.js";
import type { CaptureOptions, DisplayEndpoint, Recorder, RecordOptions } from "../desktop.js";
import { dialVnc } from "../dial-vnc.js";
import type { Frame } from "../frame.js";
import type { Point, Size } from "../geometry.js";
import type { ScreenChanges } from "../screen-changes.js";
import type { SessionDriver } from "../session.js";
import type { StallWatch } from "../stall.js";
import type { X11Session } from "../x11/x11-session.js";
import { PortableDesktopCommandError } from "./cli.js";
import type { CliInput } from "./cli-input.js";
import type { SessionCommands } from "./commands.js";
import { recordWithCli } from "./record.js";
import type { Up } from "./up.js";

export class PortableDriver implements SessionDriver {
  /** Looks at the session between calls (src/desktop/portable/host.ts). */
  watch?: NodeJS.Timeout;

  constructor(
    readonly up: Up,
    readonly cmd: SessionCommands,
    readonly x11: X11Session | string,
    readonly changes: ScreenChanges,
    readonly apps: DesktopApps,
    readonly stall: StallWatch,
    readonly input: CliInput,
    private readonly logger: Logger,
  ) {}

  get native(): Size {
    return this.up.native;
  }

  get endpoint(): DisplayEndpoint {
    return { display: this.up.display, cookie: "" };
  }

  get pids(): number[] {
    return this.up.pids;
  }

  /** A native frame from `screenshot --json`; the CLI always draws the pointer, so `includeCursor: false` cannot hide it here. */
  capture(opts: CaptureOptions = {}): Promise<Frame> {
    return this.cmd.screenshot({ region: opts.region });
  }

  async cursorPosition(): Promise<Point> {
    const p = await this.cmd.json<{ x?: unknown; y?: unknown }>(["cursor", "--json"]);
    if (!Number.isInteger(p.x) || !Number.isInteger(p.y))
      throw new PortableDesktopCommandError(["cursor"], 0, "", `bad cursor output ${JSON.stringify(p)}`);
    return { x: p.x as number, y: p.y as number };
  }

  connectVnc(): Promise<Socket> {
    return dialVnc({ port: this.up.vncPort });
  }

  /** `portabledesktop record`, stopped with SIGINT (src/desktop/portable/record.ts). */
  record(opts: RecordOptions): Promise<Recorder> {
    return recordWithCli(this.cmd.cli, { ...opts, logger: this.logger });
  }
}
