/**
 * Request field checks. Each throws InvalidInputError naming the field, which
 * the service maps to INVALID_ARGUMENT.
 */
import type { ImageFormat, Point as PbPoint, Rect as PbRect, Size as PbSize } from "../../../gen/desktop/v1/desktop_pb.js";
import { InvalidInputError } from "../../desktop/errors.js";
import type { Point, Rect, Size } from "../../desktop/geometry.js";
import { DEFAULT_QUALITY, type Format } from "../../desktop/image.js";
import { type Key, parseCombo } from "../../desktop/keys.js";
import { FORMATS } from "./convert.js";

/** Largest declared/scaled edge accepted, pixels. */
export const MAX_SCALED_EDGE = 8192;
/** Largest text a `type` action accepts, bytes of UTF-8. */
export const MAX_TYPE_BYTES = 64 * 1024;

export function intInRange(value: number, field: string, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new InvalidInputError(field, `must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

/** An optional scaled size: unset -> undefined; otherwise 1..MAX_SCALED_EDGE per axis. */
export function scaledSize(size: PbSize | undefined, field: string): Size | undefined {
  if (!size) return undefined;
  intInRange(size.width, `${field}.width`, 1, MAX_SCALED_EDGE);
  intInRange(size.height, `${field}.height`, 1, MAX_SCALED_EDGE);
  return { width: size.width, height: size.height };
}

export function requiredPoint(p: PbPoint | undefined, field: string): Point {
  if (!p) throw new InvalidInputError(field, "is required");
  return { x: p.x, y: p.y };
}

export function requiredRect(r: PbRect | undefined, field: string): Rect {
  if (!r) throw new InvalidInputError(field, "is required");
  if (r.width <= 0 || r.height <= 0) throw new InvalidInputError(field, `width and height must be > 0, got ${r.width}x${r.height}`);
  return { x: r.x, y: r.y, width: r.width, height: r.height };
}

export function requiredText(text: string, field: string, maxBytes: number): string {
  if (text === "") throw new InvalidInputError(field, "is required");
  if (Buffer.byteLength(text) > maxBytes) throw new InvalidInputError(field, `is longer than ${maxBytes} bytes`);
  return text;
}

/** Optional modifiers ("shift", "ctrl+alt"); empty -> none. */
export function modifiers(text: string, field: string): Key[] {
  return text === "" ? [] : parseCombo(text, field);
}

/** Image format + quality; quality 0 -> DEFAULT_QUALITY. */
export function imageFormat(format: ImageFormat, quality: number, field: string): { format: Format; quality: number } {
  const f = FORMATS[format];
  if (!f) throw new InvalidInputError(`${field}.format`, `unknown image format ${format}`);
  intInRange(quality, `${field}.quality`, 0, 100);
  return { format: f, quality: quality || DEFAULT_QUALITY };
}
