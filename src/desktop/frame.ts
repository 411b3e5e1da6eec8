/** Raw pixels, as a desktop captures them and the encoder takes them. */

/** Raw pixels of a capture, top-down rows, RGBA (4 channels) or RGB (3). */
export interface Frame {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
  capturedAt: Date;
  /** Set when the pointer was asked for but could not be drawn: why. */
  cursorOmitted?: string;
}
