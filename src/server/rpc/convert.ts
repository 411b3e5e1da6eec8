/**
 * Conversions between proto messages and the desktop's own types, in both
 * directions: image formats and encoded images.
 */
import { create } from "@bufbuild/protobuf";
import { type FrameInfo, type Image, ImageFormat, ImageSchema } from "../../../gen/desktop/v1/desktop_pb.js";
import { ResourceExhaustedError } from "../../desktop/errors.js";
import type { Encoded, Format } from "../../desktop/image.js";
import { MAX_IMAGE_BYTES, MAX_MESSAGE_BYTES } from "../../wire/message-limits.js";

/** Request enum -> encoder format; UNSPECIFIED means PNG. Unknown values are absent (the caller rejects them). */
export const FORMATS: Record<number, Format> = {
  [ImageFormat.UNSPECIFIED]: "png",
  [ImageFormat.PNG]: "png",
  [ImageFormat.JPEG]: "jpeg",
  [ImageFormat.WEBP]: "webp",
};

const FORMAT_ENUM: Record<Format, ImageFormat> = { png: ImageFormat.PNG, jpeg: ImageFormat.JPEG, webp: ImageFormat.WEBP };

/**
 * An encoded frame as the proto `Image` (bytes, format, width and height in
 * pixels, and the frame it shows: src/server/rpc/frame-ids.ts). ResourceExhaustedError when it is too big for one message
 * (MAX_IMAGE_BYTES), saying what to ask for instead.
 */
export function toPbImage(image: Encoded, frame?: FrameInfo): Image {
  if (image.data.length > MAX_IMAGE_BYTES) {
    const mib = (n: number) => (n / 1024 / 1024).toFixed(1);
    throw new ResourceExhaustedError(
      `the ${image.width}x${image.height} ${image.format.toUpperCase()} is ${mib(image.data.length)} MiB, over the ${mib(MAX_MESSAGE_BYTES)} MiB message limit; ask for JPEG or WebP, a smaller scaled_size, or a region`,
    );
  }
  return create(ImageSchema, { data: image.data, format: FORMAT_ENUM[image.format], width: image.width, height: image.height, frame });
}
