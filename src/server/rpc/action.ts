/**
 * The Action RPC: one table entry per `ActionRequest.action` case, mapping the
 * request (declared space) to calls on one desktop session (native pixels):
 * the session is taken once, at the start, and the whole call uses it (input
 * order and settle are the session's). Output texts are
 * those of coder/coder's agent/agentdesktop/api.go, which agents already
 * parse: "<action> action performed", "screenshot", "x=<x>,y=<y>".
 */
import { create } from "@bufbuild/protobuf";
import {
  ActionPhasesSchema,
  type ActionRequest,
  ActionRequestSchema,
  type ActionResponse,
  ActionResponseSchema,
  type CaptureAfter,
  type ClickAction,
  type Point as PbPoint,
  type Size as PbSize,
  PointSchema,
  ScrollDirection,
  type Settle,
  type SettleResult,
} from "../../../gen/desktop/v1/desktop_pb.js";
import { type DesktopHost, type DesktopSession, MAX_CLIPBOARD_BYTES, type MouseButton } from "../../desktop/desktop.js";
import { InvalidInputError } from "../../desktop/errors.js";
import { Geometry, type Point, type Size } from "../../desktop/geometry.js";
import { type Encoded, type EncodeOptions, encodeFrame } from "../../desktop/image.js";
import type { InputKind } from "../../desktop/input-order.js";
import { parseCombo, parseKeySequence } from "../../desktop/keys.js";
import type { SettleOptions } from "../../desktop/screen-changes.js";
import { toPbImage } from "./convert.js";
import { FrameIds } from "./frame-ids.js";
import { Phases } from "./phases.js";
import { SETTLE_DEFAULTS, settleOptions, toSettleResult } from "./settle.js";
import { imageFormat, intInRange, MAX_TYPE_BYTES, modifiers, requiredPoint, requiredRect, requiredText, scaledSize } from "./validate.js";

type ActionCase = NonNullable<ActionRequest["action"]["case"]>;
type ActionValue<C extends ActionCase> = Extract<ActionRequest["action"], { case: C }>["value"];

interface Ctx {
  session: DesktopSession;
  geo: Geometry;
  signal: AbortSignal;
  /** Field path prefix of the action, e.g. "left_click". */
  field: string;
  /** ActionRequest.clamp_coordinates: clamp points off the screen instead of refusing them. */
  clamp: boolean;
  phases: Phases;
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
    if (where) await c.session.input.move(where, c.signal);
    await (down ? c.session.input.buttonDown("left", c.signal) : c.session.input.buttonUp("left"));
  };
}

function click(button: MouseButton, count: number): Handler<ClickAction> {
  return async (v, c) =>
    c.session.input.click(button, count, at(v.coordinate, "coordinate", c), modifiers(v.modifiers, `${c.field}.modifiers`), c.signal);
}

/** A screenshot of the whole screen at the declared size. */
const declaredScreenshot = (c: Ctx, enc: Omit<EncodeOptions, "size">): Promise<Encoded> => screenshotAfter(c.session, c.geo, enc, c.phases);

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
    for (const combo of parseKeySequence(v.text, `${c.field}.text`)) await c.session.input.keyPress(combo, c.signal);
  },
  keyDown: (v, c) => c.session.input.keyDown(parseCombo(v.text, `${c.field}.text`), c.signal),
  keyUp: (v, c) => c.session.input.keyUp(parseCombo(v.text, `${c.field}.text`)),
  type: (v, c) =>
    v.paste
      ? c.session.input.paste(requiredText(v.text, `${c.field}.text`, MAX_CLIPBOARD_BYTES), c.signal)
      : c.session.input.type(requiredText(v.text, `${c.field}.text`, MAX_TYPE_BYTES), c.signal),
  cursorPosition: async (_v, c) => {
    const cursor = await c.session.cursorPosition();
    const p = c.geo.toDeclared(cursor);
    return { output: `x=${p.x},y=${p.y}`, cursor };
  },
  mouseMove: (v, c) => c.session.input.move(point(v.coordinate, "coordinate", c), c.signal),
  leftClick: click("left", 1),
  rightClick: click("right", 1),
  middleClick: click("middle", 1),
  doubleClick: click("left", 2),
  tripleClick: click("left", 3),
  leftClickDrag: (v, c) => {
    const from = point(v.startCoordinate, "start_coordinate", c);
    return c.session.input.drag(from, point(v.coordinate, "coordinate", c), c.signal);
  },
  leftMouseDown: leftButton(true),
  leftMouseUp: leftButton(false),
  scroll: (v, c) => {
    const dir = SCROLL[v.direction];
    if (!dir) throw new InvalidInputError(`${c.field}.direction`, `unknown scroll direction ${v.direction}`);
    const amount = intInRange(v.amount, `${c.field}.amount`, 0, MAX_SCROLL_AMOUNT) || DEFAULT_SCROLL_AMOUNT;
    const [dx, dy] = dir(amount);
    return c.session.input.scroll(at(v.coordinate, "coordinate", c), dx, dy, modifiers(v.modifiers, `${c.field}.modifiers`), c.signal);
  },
  holdKey: async (v, c) => {
    const keys = parseCombo(v.text, `${c.field}.text`);
    const ms = intInRange(v.durationMs, `${c.field}.duration_ms`, 0, MAX_DURATION_MS) || DEFAULT_HOLD_MS;
    await c.session.input.keyDown(keys, c.signal);
    try {
      await c.session.changes.clock.sleep(ms, c.signal);
    } finally {
      // Released at once on cancel, and after any failure.
      await c.session.input.keyUp(keys);
    }
  },
  screenshot: async (v, c) => ({ output: "screenshot", screenshotLast: imageFormat(v.format, v.quality, `${c.field}`) }),
  wait: async (v, c) => {
    await c.session.changes.clock.sleep(intInRange(v.durationMs, `${c.field}.duration_ms`, 0, MAX_DURATION_MS), c.signal);
    return { screenshotLast: PNG };
  },
  zoom: async (v, c) => {
    const region = c.geo.rectToNative(requiredRect(v.region, `${c.field}.region`));
    if (!region) throw new InvalidInputError(`${c.field}.region`, "lies outside the screen");
    const size = scaledSize(v.scaledSize, `${c.field}.scaled_size`);
    const frame = await c.phases.time("capture", () => c.session.capture({ region }));
    return { image: await c.phases.time("encode", () => encodeFrame(frame, size ? { ...PNG, size } : PNG)) };
  },
};

/** Which input each action sends (src/desktop/input-order.ts); none for those that only look. */
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

/** Thrown by the stand-in session of a check (`checkAction`): the handler got as far as the desktop, so its fields are good. */
const REACHED_DESKTOP = Symbol("reached the desktop");

/** A session whose every method, however deep, throws REACHED_DESKTOP. */
const standIn: DesktopSession = (() => {
  const deep: object = new Proxy(() => undefined, {
    get: () => deep,
    apply: () => {
      throw REACHED_DESKTOP;
    },
  });
  return deep as DesktopSession;
})();

/**
 * Checks `action` as its handler would run it, without touching a desktop:
 * every handler validates its fields before its first desktop call (the rule
 * of the ACTIONS table), so running it against a stand-in session that
 * throws at the first call checks it completely. Throws InvalidInputError
 * naming `prefix` + the field ("actions[2].left_click.coordinate").
 */
export async function checkAction(action: ActionRequest["action"], geo: Geometry, clamp: boolean, prefix = ""): Promise<void> {
  if (!action.case) throw new InvalidInputError(`${prefix}action`, "is required (one of key, type, left_click, ...)");
  const field = prefix + ActionRequestSchema.field[action.case].name;
  const ctx: Ctx = { session: standIn, geo, signal: new AbortController().signal, field, clamp, phases: new Phases() };
  try {
    await (ACTIONS[action.case] as Handler<unknown>)(action.value, ctx);
  } catch (err) {
    if (err !== REACHED_DESKTOP) throw err;
  }
}

/** One action done on a session. */
export interface Performed {
  /** "<action> action performed", "screenshot", "x=..,y=..". */
  output: string;
  /** The pointer after it, declared space. */
  cursor: PbPoint;
  /** A screenshot, wait or zoom's image. */
  image?: Encoded;
  settled?: SettleResult;
}

/**
 * Runs `action` on `session`: waits for the application to catch up with
 * earlier input of the other kind (the session's input order), acts,
 * settles when `settle` asks (always for `wait`), takes the action's own
 * screenshot, and reads the pointer. Throws InvalidInputError for bad
 * fields (named with `prefix`) and desktop errors as they come.
 */
export async function perform(
  session: DesktopSession,
  action: ActionRequest["action"],
  opts: { geo: Geometry; clamp: boolean; signal: AbortSignal; phases: Phases; settle?: SettleOptions; prefix?: string },
): Promise<Performed> {
  const actionCase = action.case;
  if (!actionCase) throw new InvalidInputError(`${opts.prefix ?? ""}action`, "is required (one of key, type, left_click, ...)");
  const { geo, signal, phases } = opts;
  const name = ActionRequestSchema.field[actionCase].name;
  const ctx: Ctx = { session, geo, signal, field: (opts.prefix ?? "") + name, clamp: opts.clamp, phases };
  const handler = ACTIONS[actionCase] as Handler<unknown>;
  const act = async () => (await handler(action.value, ctx)) ?? {};
  const input = INPUT[actionCase];
  let result: Result;
  if (input) {
    const t0 = performance.now();
    result = await session.ordered(input, signal, () => {
      phases.add("order", t0);
      return phases.time("input", act);
    });
  } else result = await act();
  const settle = opts.settle ?? (actionCase === "wait" ? SETTLE_DEFAULTS : undefined);
  const settled = settle
    ? toSettleResult(await phases.time("settle", () => session.settle({ ...settle, signal })), session.changes.source)
    : undefined;
  const image = result.screenshotLast ? await declaredScreenshot(ctx, result.screenshotLast) : result.image;
  const cursor = geo.toDeclared(result.cursor ?? (await session.cursorPosition()));
  return { output: result.output ?? `${name} action performed`, cursor: create(PointSchema, cursor), image, settled };
}

/** Phases as the proto's ActionPhases. */
export const toPbPhases = (p: Phases) =>
  create(ActionPhasesSchema, {
    orderUs: BigInt(p.us.order),
    inputUs: BigInt(p.us.input),
    settleUs: BigInt(p.us.settle),
    captureUs: BigInt(p.us.capture),
    encodeUs: BigInt(p.us.encode),
  });

/**
 * The Action RPC: checks the request, takes one session, performs the
 * action (see `perform`), then takes the capture_after screenshot. Throws
 * InvalidInputError for bad fields (checked before the desktop is touched
 * where possible) and desktop errors as they come; when the desktop dies
 * mid-call, the rest fails UNAVAILABLE and reaches no other desktop.
 */
export async function runAction(
  host: DesktopHost,
  req: ActionRequest,
  signal: AbortSignal,
  phases = new Phases(),
  frames = new FrameIds(),
): Promise<ActionResponse> {
  if (!req.action.case) throw new InvalidInputError("action", "is required (one of key, type, left_click, ...)");
  const call = checkCall(req);
  const { session, geo } = await callSession(host, req, call, frames, signal);
  const done = await perform(session, req.action, { geo, clamp: req.clampCoordinates, signal, phases, settle: call.settle });
  const image = (await captureAfter(session, geo, call, signal, phases)) ?? done.image;
  return create(ActionResponseSchema, {
    output: done.output,
    cursor: done.cursor,
    screenshot: image && toPbImage(image, frames.register(session, geo.declared)),
    settle: done.settled,
    phases: toPbPhases(phases),
  });
}

/** What Action and ActionBatch ask around their actions, checked (InvalidInputError naming the field). */
export interface CallParts {
  /** scaled_size, when set. */
  declared?: Size;
  settle?: SettleOptions;
  /** capture_after: the wait before it (ms) and its encoding. */
  after?: { settleMs: number; encoding: Omit<EncodeOptions, "size"> };
}

export function checkCall(req: { scaledSize?: PbSize; captureAfter?: CaptureAfter; settle?: Settle }): CallParts {
  const a = req.captureAfter;
  return {
    declared: scaledSize(req.scaledSize, "scaled_size"),
    settle: settleOptions(req.settle, "settle"),
    after: a && {
      encoding: imageFormat(a.format, a.quality, "capture_after"),
      settleMs: intInRange(a.settleMs, "capture_after.settle_ms", 0, MAX_SETTLE_MS),
    },
  };
}

/**
 * The call's session and the declared space of its coordinates: the named
 * frame's (FAILED_PRECONDITION when it no longer holds), scaled_size, or
 * native.
 */
export async function callSession(
  host: DesktopHost,
  req: { frameId: string },
  call: CallParts,
  frames: FrameIds,
  signal: AbortSignal,
): Promise<{ session: DesktopSession; geo: Geometry }> {
  const session = await host.session(signal);
  const frameSize = req.frameId ? frames.declaredFor(req.frameId, session, call.declared, "frame_id") : undefined;
  return { session, geo: new Geometry(session.native, frameSize ?? call.declared ?? session.native) };
}

/** The capture_after screenshot, when the call asked for one: after its settle_ms, at the declared size. */
export async function captureAfter(
  session: DesktopSession,
  geo: Geometry,
  call: CallParts,
  signal: AbortSignal,
  phases: Phases,
): Promise<Encoded | undefined> {
  if (!call.after) return undefined;
  await session.changes.clock.sleep(call.after.settleMs, signal);
  return screenshotAfter(session, geo, call.after.encoding, phases);
}

/** A screenshot of the whole screen at `geo`'s declared size, timed into `phases`. */
export async function screenshotAfter(
  session: DesktopSession,
  geo: Geometry,
  enc: Omit<EncodeOptions, "size">,
  phases: Phases,
): Promise<Encoded> {
  const frame = await phases.time("capture", () => session.capture({ size: geo.declared }));
  return phases.time("encode", () => encodeFrame(frame, { ...enc, size: geo.declared }));
}
