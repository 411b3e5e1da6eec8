/** Raw pixels, as a desktop captures them and the encoder takes them. */

/**
 * Raw pixels of a capture, top-down rows, RGBA (4 channels) or RGB (3).
 * `data` may be shared with the backend: read it, never write into it.
 */
export interface Frame {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
  capturedAt: Date;
  /**
   * Set when the backend can tell: two frames with the same version hold the
   * same pixels, so an encoding of one serves the other
   * (src/desktop/image.ts). Unique in the process.
   */
  version?: string;
  /** Set when the pointer was asked for but could not be drawn: why. */
  cursorOmitted?: string;
}
