/**
 * Conversions between proto messages and the desktop's own types, in both
 * directions: image formats and encoded images.
 */
import { create } from "@bufbuild/protobuf";
import { type Image, ImageFormat, ImageSchema } from "../../../gen/desktop/v1/desktop_pb.js";
import type { Encoded, Format } from "../../desktop/image.js";

/** Request enum -> encoder format; UNSPECIFIED means PNG. Unknown values are absent (the caller rejects them). */
export const FORMATS: Record<number, Format> = {
  [ImageFormat.UNSPECIFIED]: "png",
  [ImageFormat.PNG]: "png",
  [ImageFormat.JPEG]: "jpeg",
  [ImageFormat.WEBP]: "webp",
};

const FORMAT_ENUM: Record<Format, ImageFormat> = { png: ImageFormat.PNG, jpeg: ImageFormat.JPEG, webp: ImageFormat.WEBP };

/** An encoded frame as the proto `Image` (bytes, format, width and height in pixels). */
export function toPbImage(image: Encoded): Image {
  return create(ImageSchema, { data: image.data, format: FORMAT_ENUM[image.format], width: image.width, height: image.height });
}
