/**
 * The Action RPC: one table entry per `ActionRequest.action` case, mapping the
 * request (declared space) to Desktop calls (native pixels). Output texts are
 * those of coder/coder's agent/agentdesktop/api.go, which agents already
 * parse: "<action> action performed", "screenshot", "x=<x>,y=<y>".
 */
import { create } from "@bufbuild/protobuf";
import {
  type ActionRequest,
  ActionRequestSchema,
  type ActionResponse,
  ActionResponseSchema,
  type ClickAction,
  type Point as PbPoint,
  ScrollDirection,
} from "../../../gen/desktop/v1/desktop_pb.js";
import type { Desktop, MouseButton } from "../../desktop/desktop.js";
import { InvalidInputError } from "../../desktop/errors.js";
import { Geometry, type Point } from "../../desktop/geometry.js";
import { type Encoded, type EncodeOptions, encodeFrame } from "../../desktop/image.js";
import { parseCombo, parseKeySequence } from "../../desktop/keys.js";
import { sleep } from "../../desktop/sleep.js";
import { MAX_CLIPBOARD_BYTES } from "../../desktop/x11/clipboard.js";
import { toPbImage } from "./convert.js";
import type { InputKind, InputOrder } from "./input-order.js";
import { SETTLE_DEFAULTS, settleOptions, toSettleResult } from "./settle.js";
import { imageFormat, intInRange, MAX_TYPE_BYTES, modifiers, requiredPoint, requiredRect, requiredText, scaledSize } from "./validate.js";

type ActionCase = NonNullable<ActionRequest["action"]["case"]>;
type ActionValue<C extends ActionCase> = Extract<ActionRequest["action"], { case: C }>["value"];

interface Ctx {
  desktop: Desktop;
  geo: Geometry;
  signal: AbortSignal;
  /** Field path prefix of the action, e.g. "left_click". */
  field: string;
  /** ActionRequest.clamp_coordinates: clamp points off the screen instead of refusing them. */
  clamp: boolean;
}

/** What a handler returns; `output` defaults to "<action> action performed". */
interface Result {
  output?: string;
  /** The pointer as the handler read it (native pixels): the response's cursor, not read again. */
  cursor?: Point;
  image?: Encoded;
  /** A declared-size screenshot in this encoding, taken last (after the settle). */
  screenshotLast?: Omit<EncodeOptions, "size">;
}

// biome-ignore lint/suspicious/noConfusingVoidType: a handler that only acts returns the Desktop call's Promise<void>
type Handler<V> = (v: V, c: Ctx) => Promise<Result | void>;

/** Hold and wait limits, ms. */
const MAX_DURATION_MS = 60_000;
const MAX_SETTLE_MS = 10_000;
const MAX_SCROLL_AMOUNT = 100;
const DEFAULT_SCROLL_AMOUNT = 3;
const DEFAULT_HOLD_MS = 1000;

/**
 * A declared-space point (of field `field`) in native pixels. Off the declared
 * screen: InvalidInputError naming the field and the screen size, unless the
 * request clamps.
 */
function toNative(p: { x: number; y: number }, field: string, c: Ctx): Point {
  const { width, height } = c.geo.declared;
  if (!c.clamp && (p.x < 0 || p.y < 0 || p.x >= width || p.y >= height)) {
    throw new InvalidInputError(
      field,
      `(${p.x}, ${p.y}) is off the ${width}x${height} screen (x 0..${width - 1}, y 0..${height - 1}); clamp_coordinates clamps instead`,
    );
  }
  return c.geo.toNative(p);
}

/** An optional point: where the pointer is when unset. */
const at = (p: { x: number; y: number } | undefined, field: string, c: Ctx): Point | undefined =>
  p ? toNative(p, `${c.field}.${field}`, c) : undefined;

/** A required point. */
const point = (p: PbPoint | undefined, field: string, c: Ctx): Point =>
  toNative(requiredPoint(p, `${c.field}.${field}`), `${c.field}.${field}`, c);

/** Presses or releases the left button, moving to `coordinate` first when given. */
function leftButton(down: boolean): Handler<{ coordinate?: { x: number; y: number } }> {
  return async (v, c) => {
    const where = at(v.coordinate, "coordinate", c);
    if (where) await c.desktop.move(where, c.signal);
    await (down ? c.desktop.buttonDown("left", c.signal) : c.desktop.buttonUp("left"));
  };
}

function click(button: MouseButton, count: number): Handler<ClickAction> {
  return async (v, c) =>
    c.desktop.click(button, count, at(v.coordinate, "coordinate", c), modifiers(v.modifiers, `${c.field}.modifiers`), c.signal);
}

/** A screenshot of the whole screen at the declared size. */
async function declaredScreenshot(c: Ctx, enc: Omit<EncodeOptions, "size">): Promise<Encoded> {
  const frame = await c.desktop.capture();
  return encodeFrame(frame, { ...enc, size: c.geo.declared });
}

const PNG = { format: "png", quality: 0 } as const;

const SCROLL: Record<number, (n: number) => [number, number]> = {
  [ScrollDirection.UNSPECIFIED]: (n) => [0, n],
  [ScrollDirection.DOWN]: (n) => [0, n],
  [ScrollDirection.UP]: (n) => [0, -n],
  [ScrollDirection.LEFT]: (n) => [-n, 0],
  [ScrollDirection.RIGHT]: (n) => [n, 0],
};

const ACTIONS: { [C in ActionCase]: Handler<ActionValue<C>> } = {
  key: async (v, c) => {
    for (const combo of parseKeySequence(v.text, `${c.field}.text`)) await c.desktop.keyPress(combo, c.signal);
  },
  keyDown: (v, c) => c.desktop.keyDown(parseCombo(v.text, `${c.field}.text`), c.signal),
  keyUp: (v, c) => c.desktop.keyUp(parseCombo(v.text, `${c.field}.text`)),
  type: (v, c) =>
    v.paste
      ? c.desktop.paste(requiredText(v.text, `${c.field}.text`, MAX_CLIPBOARD_BYTES), c.signal)
      : c.desktop.type(requiredText(v.text, `${c.field}.text`, MAX_TYPE_BYTES), c.signal),
  cursorPosition: async (_v, c) => {
    const cursor = await c.desktop.cursorPosition();
    const p = c.geo.toDeclared(cursor);
    return { output: `x=${p.x},y=${p.y}`, cursor };
  },
  mouseMove: (v, c) => c.desktop.move(point(v.coordinate, "coordinate", c), c.signal),
  leftClick: click("left", 1),
  rightClick: click("right", 1),
  middleClick: click("middle", 1),
  doubleClick: click("left", 2),
  tripleClick: click("left", 3),
  leftClickDrag: (v, c) => {
    const from = point(v.startCoordinate, "start_coordinate", c);
    return c.desktop.drag(from, point(v.coordinate, "coordinate", c), c.signal);
  },
  leftMouseDown: leftButton(true),
  leftMouseUp: leftButton(false),
  scroll: (v, c) => {
    const dir = SCROLL[v.direction];
    if (!dir) throw new InvalidInputError(`${c.field}.direction`, `unknown scroll direction ${v.direction}`);
    const amount = intInRange(v.amount, `${c.field}.amount`, 0, MAX_SCROLL_AMOUNT) || DEFAULT_SCROLL_AMOUNT;
    const [dx, dy] = dir(amount);
    return c.desktop.scroll(at(v.coordinate, "coordinate", c), dx, dy, modifiers(v.modifiers, `${c.field}.modifiers`), c.signal);
  },
  holdKey: async (v, c) => {
    const keys = parseCombo(v.text, `${c.field}.text`);
    const ms = intInRange(v.durationMs, `${c.field}.duration_ms`, 0, MAX_DURATION_MS) || DEFAULT_HOLD_MS;
    await c.desktop.keyDown(keys, c.signal);
    try {
      await sleep(ms, c.signal);
    } finally {
      // Released at once on cancel, and after any failure.
      await c.desktop.keyUp(keys);
    }
  },
  screenshot: async (v, c) => ({ output: "screenshot", screenshotLast: imageFormat(v.format, v.quality, `${c.field}`) }),
  wait: async (v, c) => {
    await sleep(intInRange(v.durationMs, `${c.field}.duration_ms`, 0, MAX_DURATION_MS), c.signal);
    return { screenshotLast: PNG };
  },
  zoom: async (v, c) => {
    const region = c.geo.rectToNative(requiredRect(v.region, `${c.field}.region`));
    if (!region) throw new InvalidInputError(`${c.field}.region`, "lies outside the screen");
    return { image: await encodeFrame(await c.desktop.capture({ region }), PNG) };
  },
};

/** Which input each action sends (src/server/rpc/input-order.ts); none for those that only look. */
const INPUT: { [C in ActionCase]: InputKind | undefined } = {
  key: "keyboard",
  keyDown: "keyboard",
  keyUp: "keyboard",
  type: "keyboard",
  holdKey: "keyboard",
  cursorPosition: undefined,
  mouseMove: "pointer",
  leftClick: "pointer",
  rightClick: "pointer",
  middleClick: "pointer",
  doubleClick: "pointer",
  tripleClick: "pointer",
  leftClickDrag: "pointer",
  leftMouseDown: "pointer",
  leftMouseUp: "pointer",
  scroll: "pointer",
  screenshot: undefined,
  wait: undefined,
  zoom: undefined,
};

/**
 * Runs one action: waits for the application to catch up with earlier input
 * of the other kind (`order`), acts, settles when asked (always for `wait`),
 * then takes the screenshots. Throws InvalidInputError for bad fields
 * (checked before the desktop is touched where possible) and desktop errors
 * as they come.
 */
export async function runAction(desktop: Desktop, req: ActionRequest, signal: AbortSignal, order: InputOrder): Promise<ActionResponse> {
  const actionCase = req.action.case;
  if (!actionCase) throw new InvalidInputError("action", "is required (one of key, type, left_click, ...)");
  const declared = scaledSize(req.scaledSize, "scaled_size");
  const after = req.captureAfter;
  const afterOpts = after ? imageFormat(after.format, after.quality, "capture_after") : undefined;
  if (after) intInRange(after.settleMs, "capture_after.settle_ms", 0, MAX_SETTLE_MS);
  const settle = settleOptions(req.settle, "settle") ?? (actionCase === "wait" ? SETTLE_DEFAULTS : undefined);
  const input = INPUT[actionCase];
  const cfg = await desktop.start();
  const changes = input || settle ? await desktop.screenChanges() : undefined;
  const geo = new Geometry(cfg.native, declared ?? cfg.native);
  // The proto field name ("left_click"), used in outputs and errors.
  const field = ActionRequestSchema.field[actionCase].name;
  const ctx: Ctx = { desktop, geo, signal, field, clamp: req.clampCoordinates };
  const handler = ACTIONS[actionCase] as Handler<unknown>;
  if (input && changes) await order.before(input, changes, signal);
  let result: Result;
  try {
    result = (await handler(req.action.value, ctx)) ?? {};
  } finally {
    if (input) order.after(input);
  }
  const settled = settle && changes ? toSettleResult(await changes.settle({ ...settle, signal }), changes.source) : undefined;
  let image = result.screenshotLast ? await declaredScreenshot(ctx, result.screenshotLast) : result.image;
  if (after && afterOpts) {
    await sleep(after.settleMs, signal);
    image = await declaredScreenshot(ctx, afterOpts);
  }
  const cursor = geo.toDeclared(result.cursor ?? (await desktop.cursorPosition()));
  return create(ActionResponseSchema, {
    output: result.output ?? `${field} action performed`,
    cursor,
    screenshot: image && toPbImage(image),
    settle: settled,
  });
}
