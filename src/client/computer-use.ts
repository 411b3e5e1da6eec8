/**
 * Maps an Anthropic computer-use tool input (tool versions computer_20250124
 * and computer_20251124) to an ActionRequest. Coordinates stay in the declared
 * space the model was given (`scaledSize`); `duration` is seconds in the tool
 * and milliseconds in the proto; zoom `region` is [x1, y1, x2, y2].
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { type ActionRequest, ActionRequestSchema, ScrollDirection } from "../../gen/desktop/v1/desktop_pb.js";

export interface ComputerUseInput {
  action: string;
  coordinate?: [number, number];
  start_coordinate?: [number, number];
  text?: string;
  duration?: number;
  scroll_direction?: "up" | "down" | "left" | "right";
  scroll_amount?: number;
  region?: [number, number, number, number];
}

export type ToolVersion = "20250124" | "20251124";

const DIRECTIONS: Record<string, ScrollDirection> = {
  up: ScrollDirection.UP,
  down: ScrollDirection.DOWN,
  left: ScrollDirection.LEFT,
  right: ScrollDirection.RIGHT,
};

const point = (c: [number, number] | undefined) => (c ? { x: c[0], y: c[1] } : undefined);
const ms = (seconds: number | undefined) => Math.round((seconds ?? 0) * 1000);

type Init = MessageInitShape<typeof ActionRequestSchema>;

export interface ToActionRequestOptions {
  /** The declared size the model was given. */
  scaledSize?: { width: number; height: number };
  version?: ToolVersion;
  /**
   * Settle after actions that act on the desktop (input and `wait`): the
   * service's defaults (`{}`) unless told; `false` for none. The response
   * then comes once the screen has stopped changing, with no fixed sleep.
   */
  settle?: Init["settle"] | false;
  /** A screenshot after the action (and its settle), in the same round trip. */
  captureAfter?: Init["captureAfter"];
}

/** Actions that only look: no settle. */
const LOOKS = new Set(["cursor_position", "screenshot", "zoom"]);

/**
 * Throws an Error for an action the tool version does not have, or a scroll
 * direction it does not know. Missing fields are left to the server, which
 * answers INVALID_ARGUMENT naming them.
 */
export function toActionRequest(input: ComputerUseInput, opts: ToActionRequestOptions = {}): ActionRequest {
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
      action = { case: "leftMouseDown", value: {} };
      break;
    case "left_mouse_up":
      action = { case: "leftMouseUp", value: {} };
      break;
    case "scroll": {
      const direction = input.scroll_direction === undefined ? ScrollDirection.DOWN : DIRECTIONS[input.scroll_direction];
      if (direction === undefined) throw new Error(`unknown scroll_direction "${input.scroll_direction}"`);
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
      if (version === "20250124") throw new Error("zoom needs tool version 20251124");
      const r = input.region;
      const region = r ? { x: r[0], y: r[1], width: r[2] - r[0], height: r[3] - r[1] } : undefined;
      action = { case: "zoom", value: { region } };
      break;
    }
    default:
      throw new Error(`Unknown action: ${input.action}`);
  }
  const settle = opts.settle === false || LOOKS.has(input.action) ? undefined : (opts.settle ?? {});
  return create(ActionRequestSchema, { scaledSize: opts.scaledSize, action, settle, captureAfter: opts.captureAfter });
}
