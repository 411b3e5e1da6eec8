/**
 * Anthropic's computer-use tool (versions computer_20250124 and
 * computer_20251124, https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/computer-use-tool)
 * on desktopd: `toActionRequest` maps a tool input to an Action request,
 * `toToolResult` maps the response to the content blocks of a tool_result.
 * Coordinates stay in the declared space the model was given (`scaledSize`);
 * `duration` is seconds in the tool and milliseconds in the proto; zoom
 * `region` is [x1, y1, x2, y2].
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type ActionRequest,
  type ActionRequestSchema,
  type ActionResponse,
  ImageFormat,
  ScrollDirection,
} from "../../gen/desktop/v1/desktop_pb.js";

export interface ComputerUseInput {
  action: string;
  coordinate?: [number, number] | undefined;
  start_coordinate?: [number, number] | undefined;
  text?: string | undefined;
  duration?: number | undefined;
  scroll_direction?: "up" | "down" | "left" | "right" | undefined;
  scroll_amount?: number | undefined;
  region?: [number, number, number, number] | undefined;
}

export type ToolVersion = "20250124" | "20251124";

/** The actions of tool version 20251124 (20250124 has all but `zoom`), as a model names them. */
export const COMPUTER_USE_ACTIONS = [
  "key",
  "key_down",
  "key_up",
  "type",
  "cursor_position",
  "mouse_move",
  "left_click",
  "right_click",
  "middle_click",
  "double_click",
  "triple_click",
  "left_click_drag",
  "left_mouse_down",
  "left_mouse_up",
  "scroll",
  "hold_key",
  "screenshot",
  "wait",
  "zoom",
] as const;

const DIRECTIONS: Record<string, ScrollDirection> = {
  up: ScrollDirection.UP,
  down: ScrollDirection.DOWN,
  left: ScrollDirection.LEFT,
  right: ScrollDirection.RIGHT,
};

const point = (c: [number, number] | undefined) => (c ? { x: c[0], y: c[1] } : undefined);
const ms = (seconds: number | undefined) => Math.round((seconds ?? 0) * 1000);

/**
 * An Action request as a plain object (no `$typeName`): a spread with
 * overrides (`{ ...req, captureAfter }`) is still a valid request.
 */
export type ActionRequestInit = Exclude<MessageInitShape<typeof ActionRequestSchema>, ActionRequest>;
type Init = ActionRequestInit;

export interface ToActionRequestOptions {
  /** The declared size the model was given. */
  scaledSize?: { width: number; height: number } | undefined;
  version?: ToolVersion | undefined;
  /**
   * Settle after actions that act on the desktop (input and `wait`): the
   * service's defaults (`{}`) unless told; `false` for none. The response
   * then comes once the screen has stopped changing, with no fixed sleep.
   */
  settle?: Init["settle"] | false | undefined;
  /** A screenshot after the action (and its settle), in the same round trip. */
  captureAfter?: Init["captureAfter"] | undefined;
  /**
   * Clamp coordinates off the declared screen to its edge. Default false:
   * the service answers INVALID_ARGUMENT naming the field and the screen size,
   * as the reference tool refuses them.
   */
  clampCoordinates?: boolean | undefined;
}

/** Actions that only look: no settle, and the MCP computer tool adds no screenshot after them. */
export const LOOK_ONLY_ACTIONS: ReadonlySet<string> = new Set(["cursor_position", "screenshot", "zoom"]);

const invalid = (message: string) => new ConnectError(message, Code.InvalidArgument);

/**
 * Throws a ConnectError with Code.InvalidArgument for an action the tool
 * version does not have, or a scroll direction it does not know, as the
 * service would. Missing fields and coordinates off the screen are left to
 * the service, which answers INVALID_ARGUMENT naming them.
 */
export function toActionRequest(input: ComputerUseInput, opts: ToActionRequestOptions = {}): ActionRequestInit {
  const version = opts.version ?? "20251124";
  const text = input.text ?? "";
  const click = { coordinate: point(input.coordinate), modifiers: text };
  let action: Init["action"];
  switch (input.action) {
    case "key":
    case "key_down":
    case "key_up":
      action = { case: input.action === "key" ? "key" : input.action === "key_down" ? "keyDown" : "keyUp", value: { text } };
      break;
    case "type":
      action = { case: "type", value: { text } };
      break;
    case "cursor_position":
      action = { case: "cursorPosition", value: {} };
      break;
    case "mouse_move":
      action = { case: "mouseMove", value: { coordinate: point(input.coordinate) } };
      break;
    case "left_click":
      action = { case: "leftClick", value: click };
      break;
    case "right_click":
      action = { case: "rightClick", value: click };
      break;
    case "middle_click":
      action = { case: "middleClick", value: click };
      break;
    case "double_click":
      action = { case: "doubleClick", value: click };
      break;
    case "triple_click":
      action = { case: "tripleClick", value: click };
      break;
    case "left_click_drag":
      action = { case: "leftClickDrag", value: { startCoordinate: point(input.start_coordinate), coordinate: point(input.coordinate) } };
      break;
    case "left_mouse_down":
      action = { case: "leftMouseDown", value: { coordinate: point(input.coordinate) } };
      break;
    case "left_mouse_up":
      action = { case: "leftMouseUp", value: { coordinate: point(input.coordinate) } };
      break;
    case "scroll": {
      const direction = input.scroll_direction === undefined ? ScrollDirection.DOWN : DIRECTIONS[input.scroll_direction];
      if (direction === undefined) throw invalid(`unknown scroll_direction "${input.scroll_direction}"`);
      action = {
        case: "scroll",
        value: { coordinate: point(input.coordinate), direction, amount: input.scroll_amount ?? 0, modifiers: text },
      };
      break;
    }
    case "hold_key":
      action = { case: "holdKey", value: { text, durationMs: ms(input.duration) } };
      break;
    case "screenshot":
      action = { case: "screenshot", value: {} };
      break;
    case "wait":
      action = { case: "wait", value: { durationMs: ms(input.duration) } };
      break;
    case "zoom": {
      if (version === "20250124") throw invalid("zoom needs tool version 20251124");
      const r = input.region;
      const region = r ? { x: r[0], y: r[1], width: r[2] - r[0], height: r[3] - r[1] } : undefined;
      action = { case: "zoom", value: { region } };
      break;
    }
    default:
      throw invalid(`Unknown action: ${input.action}`);
  }
  const req: Init = { action };
  if (opts.scaledSize) req.scaledSize = opts.scaledSize;
  if (opts.settle !== false && !LOOK_ONLY_ACTIONS.has(input.action)) req.settle = opts.settle ?? {};
  if (opts.captureAfter) req.captureAfter = opts.captureAfter;
  if (opts.clampCoordinates) req.clampCoordinates = true;
  return req;
}

/** A content block of a tool_result, as Anthropic's Messages API takes it. */
export type ToolResultBlock =
  | { type: "text"; text: string }
  | { type: "image"; source: { type: "base64"; media_type: "image/png" | "image/jpeg" | "image/webp"; data: string } };

const MEDIA_TYPES = {
  [ImageFormat.UNSPECIFIED]: "image/png",
  [ImageFormat.PNG]: "image/png",
  [ImageFormat.JPEG]: "image/jpeg",
  [ImageFormat.WEBP]: "image/webp",
} as const;

/**
 * The content of the tool_result for an Action response: the output text
 * ("left_click action performed", "x=640,y=360"), then the screenshot as a
 * base64 image block when the response has one (screenshot, zoom, wait,
 * capture_after).
 */
export function toToolResult(res: ActionResponse): ToolResultBlock[] {
  const blocks: ToolResultBlock[] = [{ type: "text", text: res.output }];
  const shot = res.screenshot;
  if (shot && shot.data.length > 0) {
    const data = Buffer.from(shot.data.buffer, shot.data.byteOffset, shot.data.byteLength).toString("base64");
    blocks.push({ type: "image", source: { type: "base64", media_type: MEDIA_TYPES[shot.format], data } });
  }
  return blocks;
}
