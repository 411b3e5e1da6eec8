/**
 * Frame ids: every image the service returns names the frame it shows, with
 * the declared size its coordinates are in and the screen's native size; an
 * action may name the frame its coordinates were read from, and runs only
 * while they still mean the same place: the same desktop session (not reset
 * or replaced since) at the same native size. Otherwise FAILED_PRECONDITION
 * and nothing runs. The service remembers the last MAX_FRAMES frames; older
 * ones (and ids of another service) are unknown, also FAILED_PRECONDITION.
 */
import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { type FrameInfo, FrameInfoSchema } from "../../../gen/desktop/v1/desktop_pb.js";
import type { DesktopSession } from "../../desktop/desktop.js";
import { FailedPreconditionError, InvalidInputError } from "../../desktop/errors.js";
import type { Size } from "../../desktop/geometry.js";

/** Frames remembered. */
export const MAX_FRAMES = 4096;
/** Longest frame id accepted, characters. */
const MAX_ID = 64;

interface Frame {
  session: DesktopSession;
  declared: Size;
  native: Size;
}

const size = (s: Size) => `${s.width}x${s.height}`;

export class FrameIds {
  private readonly frames = new Map<string, Frame>();
  /** Ids of this service start with it, so another instance's ids are unknown here, never someone else's frame. */
  private readonly prefix = randomBytes(4).toString("hex");
  private next = 0;

  /** A new frame of `session`, its coordinates in `declared` space: the FrameInfo an image carries. */
  register(session: DesktopSession, declared: Size): FrameInfo {
    const id = `${this.prefix}-${(++this.next).toString(36)}`;
    const native = session.native;
    this.frames.set(id, { session, declared, native });
    if (this.frames.size > MAX_FRAMES) this.frames.delete(this.frames.keys().next().value as string);
    return create(FrameInfoSchema, { id, declaredSize: declared, nativeSize: native });
  }

  /**
   * The declared size of frame `id` when its coordinates still hold on
   * `session`. FailedPreconditionError when the frame is unknown, from
   * another desktop session, or the native size changed; InvalidInputError
   * (`field`) when `scaled` is set and differs from the frame's.
   */
  declaredFor(id: string, session: DesktopSession, scaled: Size | undefined, field: string): Size {
    if (id.length > MAX_ID) throw new InvalidInputError(field, `is longer than ${MAX_ID} characters`);
    const f = this.frames.get(id);
    if (!f) throw new FailedPreconditionError(`frame ${id} is unknown (the service keeps the last ${MAX_FRAMES}); take a new screenshot`);
    if (f.session !== session)
      throw new FailedPreconditionError(`the desktop was reset or replaced since frame ${id}; take a new screenshot`);
    const now = session.native;
    if (now.width !== f.native.width || now.height !== f.native.height) {
      throw new FailedPreconditionError(
        `geometry changed since frame ${id}: it showed a ${size(f.native)} screen, now ${size(now)}; take a new screenshot`,
      );
    }
    if (scaled && (scaled.width !== f.declared.width || scaled.height !== f.declared.height)) {
      throw new InvalidInputError("scaled_size", `${size(scaled)} differs from frame ${id}'s ${size(f.declared)}; leave it unset`);
    }
    return f.declared;
  }
}
