/**
 * Anthropic's computer toolset (`computer_toolset_20260801`, 17 member
 * tools: https://platform.claude.com/docs/en/agents-and-tools/tool-use/computer-use-tool)
 * on desktopd: `DesktopComputerToolset` subclasses the SDK's
 * `BetaAbstractComputerToolset20260801` (`@anthropic-ai/sdk` 1.17.0, an
 * optional peer dependency) and serves every member through the
 * ActionBatch RPC, so the SDK's tool runner, `toolResult()` and a
 * hand-written loop all drive the desktop the same way.
 *
 * - Coordinates arrive in screenshot pixels: the declared size, by default
 *   the service's (GetDisplay's `default_declared_size`: long edge at most
 *   1568 px and at most 1.15 megapixels, Anthropic's image limits), which
 *   the service maps to native pixels.
 * - `screenshot` answers a PNG of the declared size; `zoom` a PNG of the
 *   region (`[x0, y0, x1, y1]` in screenshot space) scaled to fit the
 *   declared size, aspect kept: both within the model's limits.
 * - A call the service refuses or that fails throws: the SDK answers it as an
 *   error and answers the rest of the turn "Not executed".
 * - The SDK runs calls one at a time, in arrival order, and refuses to build
 *   a toolset whose typing members (key, hold_key, type) have no `confirm`
 *   callable: pass one (it decides per call), or turn them off in `configs`.
 */

import { BetaAbstractComputerToolset20260801, type BetaComputerToolsetOptions } from "@anthropic-ai/sdk/helpers/beta/toolsets/computer";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import {
  type ActionBatchResponse,
  type BatchedActionSchema,
  BatchedActionStatus,
  ScrollDirection,
} from "../../gen/desktop/v1/desktop_pb.js";
import type { DesktopClient } from "./client.js";

type Batched = MessageInitShape<typeof BatchedActionSchema>;
/** Most key presses one batch sends (the ActionBatch limit). */
const MAX_BATCH = 64;

const DIRECTIONS: Record<string, ScrollDirection> = {
  up: ScrollDirection.UP,
  down: ScrollDirection.DOWN,
  left: ScrollDirection.LEFT,
  right: ScrollDirection.RIGHT,
};

export interface DesktopComputerToolsetOptions extends BetaComputerToolsetOptions {
  /** The screenshot size the model works in, pixels; the service's default declared size when unset. */
  declaredSize?: { width: number; height: number } | undefined;
  /** Headers sent with every call (a router's X-Sandbox-ID, say). */
  headers?: Record<string, string> | undefined;
}

/** `[x, y]` as a point; undefined for none. Throws on a malformed one (the model's input). */
function point(c: readonly number[] | null | undefined, field: string): { x: number; y: number } | undefined {
  if (c === undefined || c === null) return undefined;
  if (c.length !== 2 || !c.every((n) => Number.isFinite(n))) throw new Error(`${field} must be [x, y]`);
  return { x: Math.round(c[0]), y: Math.round(c[1]) };
}

/** The largest size of `w`:`h` aspect within `box`, pixels (at least 1x1). */
export function fitWithin(w: number, h: number, box: { width: number; height: number }): { width: number; height: number } {
  const scale = Math.min(box.width / w, box.height / h);
  return { width: Math.max(1, Math.floor(w * scale)), height: Math.max(1, Math.floor(h * scale)) };
}

export class DesktopComputerToolset extends BetaAbstractComputerToolset20260801 {
  private declared?: Promise<{ width: number; height: number }>;

  constructor(
    private readonly desktop: DesktopClient,
    private readonly opts: DesktopComputerToolsetOptions = {},
  ) {
    const { declaredSize: _, headers: __, ...sdk } = opts;
    super(sdk);
  }

  /** The declared (screenshot) size: the option, or the service's default declared size (asked once). */
  size(): Promise<{ width: number; height: number }> {
    this.declared ??= this.opts.declaredSize
      ? Promise.resolve(this.opts.declaredSize)
      : this.desktop.getDisplay({}, { headers: this.opts.headers }).then((d) => {
          if (!d.defaultDeclaredSize) throw new Error("the service did not say its declared size");
          return { width: d.defaultDeclaredSize.width, height: d.defaultDeclaredSize.height };
        });
    this.declared.catch(() => {
      this.declared = undefined;
    });
    return this.declared;
  }

  /** Runs `actions` as one batch at the declared size; throws the first failure as the service reported it. */
  private async batch(actions: Batched[], extra: { captureAfter?: boolean } = {}): Promise<ActionBatchResponse> {
    const res = await this.desktop.actionBatch(
      { scaledSize: await this.size(), actions, ...(extra.captureAfter ? { captureAfter: {} } : {}) },
      { headers: this.opts.headers },
    );
    const failed = res.results.find((r) => r.status === BatchedActionStatus.FAILED);
    if (failed) throw new ConnectError(failed.message, failed.code);
    return res;
  }

  private async one(action: Batched["action"]): Promise<void> {
    await this.batch([{ action }]);
  }

  protected override async key(_ctx: unknown, input: { text: string; repeat?: number | null }): Promise<void> {
    const times = Math.max(1, Math.floor(input.repeat ?? 1));
    for (let done = 0; done < times; done += MAX_BATCH) {
      const n = Math.min(MAX_BATCH, times - done);
      await this.batch(Array.from({ length: n }, (): Batched => ({ action: { case: "key", value: { text: input.text } } })));
    }
  }

  protected override hold_key(_ctx: unknown, input: { text: string; duration: number }): Promise<void> {
    return this.one({ case: "holdKey", value: { text: input.text, durationMs: Math.round(input.duration * 1000) } });
  }

  protected override type_(_ctx: unknown, input: { text: string }): Promise<void> {
    return this.one({ case: "type", value: { text: input.text } });
  }

  protected override async cursor_position(): Promise<{ x: number; y: number }> {
    const res = await this.batch([{ action: { case: "cursorPosition", value: {} } }]);
    return { x: res.cursor?.x ?? 0, y: res.cursor?.y ?? 0 };
  }

  protected override mouse_move(_ctx: unknown, input: { coordinate: number[] }): Promise<void> {
    return this.one({ case: "mouseMove", value: { coordinate: point(input.coordinate, "coordinate") } });
  }

  protected override left_mouse_down(): Promise<void> {
    return this.one({ case: "leftMouseDown", value: {} });
  }

  protected override left_mouse_up(): Promise<void> {
    return this.one({ case: "leftMouseUp", value: {} });
  }

  protected override left_click(_ctx: unknown, input: { coordinate?: number[] | null; text?: string | null }): Promise<void> {
    return this.one({ case: "leftClick", value: this.click(input) });
  }

  protected override right_click(_ctx: unknown, input: { coordinate?: number[] | null; text?: string | null }): Promise<void> {
    return this.one({ case: "rightClick", value: this.click(input) });
  }

  protected override middle_click(_ctx: unknown, input: { coordinate?: number[] | null; text?: string | null }): Promise<void> {
    return this.one({ case: "middleClick", value: this.click(input) });
  }

  protected override double_click(_ctx: unknown, input: { coordinate?: number[] | null; text?: string | null }): Promise<void> {
    return this.one({ case: "doubleClick", value: this.click(input) });
  }

  protected override triple_click(_ctx: unknown, input: { coordinate?: number[] | null; text?: string | null }): Promise<void> {
    return this.one({ case: "tripleClick", value: this.click(input) });
  }

  private click(input: { coordinate?: number[] | null; text?: string | null }) {
    return { coordinate: point(input.coordinate, "coordinate"), modifiers: input.text ?? "" };
  }

  protected override async left_click_drag(
    _ctx: unknown,
    input: { start_coordinate: number[]; coordinate: number[]; text?: string | null },
  ): Promise<void> {
    const drag: Batched = {
      action: {
        case: "leftClickDrag",
        value: { startCoordinate: point(input.start_coordinate, "start_coordinate"), coordinate: point(input.coordinate, "coordinate") },
      },
    };
    const held = input.text ?? "";
    await this.batch(
      held ? [{ action: { case: "keyDown", value: { text: held } } }, drag, { action: { case: "keyUp", value: { text: held } } }] : [drag],
    );
  }

  protected override scroll(
    _ctx: unknown,
    input: { scroll_amount: number; scroll_direction: string; coordinate?: number[] | null; text?: string | null },
  ): Promise<void> {
    const direction = DIRECTIONS[input.scroll_direction];
    if (direction === undefined) throw new Error(`scroll_direction must be up, down, left or right, not ${input.scroll_direction}`);
    return this.one({
      case: "scroll",
      value: { coordinate: point(input.coordinate, "coordinate"), direction, amount: input.scroll_amount, modifiers: input.text ?? "" },
    });
  }

  protected override async wait(_ctx: unknown, input: { duration: number }): Promise<void> {
    await this.one({ case: "wait", value: { durationMs: Math.round(input.duration * 1000) } });
  }

  protected override async screenshot(): Promise<{ data: string; mediaType: "image/png" }> {
    const res = await this.batch([{ action: { case: "screenshot", value: {} } }]);
    return png(res.results[0]?.image?.data);
  }

  protected override async zoom(_ctx: unknown, input: { region: number[] }): Promise<{ data: string; mediaType: "image/png" }> {
    const r = input.region;
    if (r.length !== 4 || !r.every((n) => Number.isFinite(n)) || r[2] <= r[0] || r[3] <= r[1]) {
      throw new Error("region must be [x0, y0, x1, y1] with x1 > x0 and y1 > y0");
    }
    const [x0, y0, x1, y1] = r.map(Math.round);
    const region = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
    const scaledSize = fitWithin(region.width, region.height, await this.size());
    const res = await this.batch([{ action: { case: "zoom", value: { region, scaledSize } } }]);
    return png(res.results[0]?.image?.data);
  }
}

function png(data: Uint8Array | undefined): { data: string; mediaType: "image/png" } {
  if (!data) throw new Error("the desktop answered without an image");
  return { data: Buffer.from(data).toString("base64"), mediaType: "image/png" };
}
