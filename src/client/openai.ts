/**
 * OpenAI's computer tool on desktopd (the Responses API's `computer_call`,
 * https://platform.openai.com/docs/guides/tools-computer-use; types from the
 * `openai` package, a peer dependency): a call's `actions[]` (or its single
 * `action`) run as one ActionBatch, stopping at the first failure, and the
 * answer is the `computer_call_output` item with the screenshot taken after
 * the last action that ran. Coordinates are in the declared space of the
 * screenshots the model saw (`scaledSize`).
 *
 * Mapping: click (left, right, wheel = middle; back and forward have no X
 * button here: refused), double_click, drag (the button held along every
 * point of `path`), keypress (the keys pressed together), move, scroll
 * (`scroll_x`/`scroll_y` in pixels, one wheel notch per 100 px, at least one),
 * type, wait (until the screen settles), screenshot (the one at the end).
 * `keys` held during a click, drag, move or scroll are pressed around it.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ComputerAction, ResponseComputerToolCall, ResponseInputItem } from "openai/resources/responses/responses";
import {
  type ActionBatchResponse,
  type BatchedActionSchema,
  BatchedActionStatus,
  ImageFormat,
  ScrollDirection,
  type Size,
} from "../../gen/desktop/v1/desktop_pb.js";
import type { DesktopClient } from "./client.js";

type Batched = MessageInitShape<typeof BatchedActionSchema>;

/** Wheel pixels per notch (OpenAI's scroll amounts are pixels, X's wheel moves in notches). */
export const PIXELS_PER_NOTCH = 100;

export interface ComputerCallOptions {
  /** The declared size the model's screenshots have, pixels; native when unset. */
  scaledSize?: { width: number; height: number } | undefined;
  /** Encoding of the screenshot returned; PNG by default. */
  format?: ImageFormat | undefined;
  /** Safety checks the developer acknowledged for this call (from its `pending_safety_checks`). */
  acknowledgedSafetyChecks?: ResponseInputItem.ComputerCallOutput["acknowledged_safety_checks"];
  signal?: AbortSignal | undefined;
}

const held = (keys: readonly string[] | null | undefined) => (keys?.length ? keys.join("+") : "");
const point = (x: number, y: number) => ({ x: Math.round(x), y: Math.round(y) });

/** Presses `keys` around `inner` (nothing when none). */
function holding(keys: readonly string[] | null | undefined, inner: Batched[]): Batched[] {
  const combo = held(keys);
  if (!combo) return inner;
  return [{ action: { case: "keyDown", value: { text: combo } } }, ...inner, { action: { case: "keyUp", value: { text: combo } } }];
}

/** One OpenAI computer action as desktopd batch actions; `screenshot` becomes none (the batch ends with one). Throws on what X cannot do. */
export function toBatchedActions(a: ComputerAction): Batched[] {
  switch (a.type) {
    case "click": {
      const button = { left: "leftClick", right: "rightClick", wheel: "middleClick" } as const;
      const kase = button[a.button as keyof typeof button];
      if (!kase) throw new Error(`click: the ${a.button} button is not supported (left, right, wheel)`);
      return [{ action: { case: kase, value: { coordinate: point(a.x, a.y), modifiers: held(a.keys) } } }];
    }
    case "double_click":
      return [{ action: { case: "doubleClick", value: { coordinate: point(a.x, a.y), modifiers: held(a.keys) } } }];
    case "drag": {
      if (a.path.length < 2) throw new Error("drag: path needs at least two points");
      const [first, ...rest] = a.path;
      return holding(a.keys, [
        { action: { case: "mouseMove", value: { coordinate: point(first.x, first.y) } } },
        { action: { case: "leftMouseDown", value: {} } },
        ...rest.map((p): Batched => ({ action: { case: "mouseMove", value: { coordinate: point(p.x, p.y) } } })),
        { action: { case: "leftMouseUp", value: {} } },
      ]);
    }
    case "keypress":
      return [{ action: { case: "key", value: { text: a.keys.join("+") } } }];
    case "move":
      return holding(a.keys, [{ action: { case: "mouseMove", value: { coordinate: point(a.x, a.y) } } }]);
    case "scroll": {
      const notches = (px: number) => Math.max(1, Math.round(Math.abs(px) / PIXELS_PER_NOTCH));
      const scrolls: Batched[] = [];
      if (a.scroll_y)
        scrolls.push({
          action: {
            case: "scroll",
            value: {
              coordinate: point(a.x, a.y),
              direction: a.scroll_y > 0 ? ScrollDirection.DOWN : ScrollDirection.UP,
              amount: notches(a.scroll_y),
            },
          },
        });
      if (a.scroll_x)
        scrolls.push({
          action: {
            case: "scroll",
            value: {
              coordinate: point(a.x, a.y),
              direction: a.scroll_x > 0 ? ScrollDirection.RIGHT : ScrollDirection.LEFT,
              amount: notches(a.scroll_x),
            },
          },
        });
      return holding(a.keys, scrolls.length ? scrolls : [{ action: { case: "mouseMove", value: { coordinate: point(a.x, a.y) } } }]);
    }
    case "type":
      return [{ action: { case: "type", value: { text: a.text } } }];
    case "wait":
      return [{ action: { case: "wait", value: { durationMs: 0 } } }];
    case "screenshot":
      return [];
  }
}

/** The actions of a `computer_call`: its `actions[]`, or its single `action`. */
export function computerCallActions(call: Pick<ResponseComputerToolCall, "action" | "actions">): ComputerAction[] {
  if (call.actions?.length) return call.actions;
  return call.action ? [call.action as ComputerAction] : [];
}

/**
 * Runs a `computer_call` on the desktop as one ActionBatch and answers it:
 * `output` is the `computer_call_output` item (a data URL of the screenshot
 * after the last action that ran) for the next request's input; `response`
 * is the batch's (each action's status; `failed` is the first failure, whose
 * message the caller may pass on to the model). Rejects (nothing run) when an
 * action cannot be mapped or the batch is refused (INVALID_ARGUMENT,
 * FAILED_PRECONDITION).
 */
export async function runComputerCall(
  client: DesktopClient,
  call: Pick<ResponseComputerToolCall, "call_id" | "action" | "actions">,
  opts: ComputerCallOptions = {},
): Promise<{ output: ResponseInputItem.ComputerCallOutput; response: ActionBatchResponse; failed?: { code: number; message: string } }> {
  const format = opts.format ?? ImageFormat.PNG;
  const actions = computerCallActions(call).flatMap(toBatchedActions);
  const response = await client.actionBatch(
    {
      scaledSize: opts.scaledSize as Size | undefined,
      // A call of screenshots only: one cursor read to carry the screenshot.
      actions: actions.length ? actions : [{ action: { case: "cursorPosition", value: {} } }],
      captureAfter: { format },
    },
    { signal: opts.signal },
  );
  const image = response.screenshot;
  if (!image) throw new Error("the desktop failed before a screenshot could be taken");
  const mime = format === ImageFormat.JPEG ? "image/jpeg" : format === ImageFormat.WEBP ? "image/webp" : "image/png";
  const output: ResponseInputItem.ComputerCallOutput = {
    type: "computer_call_output",
    call_id: call.call_id,
    output: { type: "computer_screenshot", image_url: `data:${mime};base64,${Buffer.from(image.data).toString("base64")}` },
    ...(opts.acknowledgedSafetyChecks ? { acknowledged_safety_checks: opts.acknowledgedSafetyChecks } : {}),
  };
  const bad = response.results.find((r) => r.status === BatchedActionStatus.FAILED);
  return { output, response, ...(bad ? { failed: { code: bad.code, message: bad.message } } : {}) };
}
