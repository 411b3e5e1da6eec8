/**
 * Keysym -> keycode resolution over the server's core keyboard mapping, with
 * spare keycodes (rows with no keysym) lent to keysyms the keymap lacks, so any
 * Unicode character can be typed. This is the trick xdotool and TigerVNC use.
 *
 * Spare keycodes are assigned least-recently-used and stay mapped after use:
 * restoring a mapping right after a key event races the client, which may look
 * the keycode up only after the mapping changed back. A keycode is reassigned
 * only after it has been idle for REMAP_GRACE_MS, and all of them are cleared on
 * close.
 */

import { sleep } from "../sleep.js";

/** Where a keysym lives: its keycode and whether Shift selects it (column 1). */
export interface KeyLocation {
  keycode: number;
  shift: boolean;
}

/** What the keymap needs from the X connection. */
export interface KeymapIO {
  changeMapping(keycode: number, keysyms: number[]): Promise<void>;
}

/** Time a lent keycode must stay idle before it may be remapped, ms. */
const REMAP_GRACE_MS = 100;

export class Keymap {
  private readonly index = new Map<number, KeyLocation>();
  private readonly spare: { keycode: number; keysym: number; lastUsed: number }[] = [];

  /**
   * @param minKeycode first keycode of `rows`
   * @param rows keysyms per keycode from GetKeyboardMapping
   */
  constructor(
    minKeycode: number,
    rows: number[][],
    private readonly io: KeymapIO,
    private readonly now: () => number = Date.now,
  ) {
    rows.forEach((row, i) => {
      const keycode = minKeycode + i;
      if (row.every((k) => k === 0)) {
        this.spare.push({ keycode, keysym: 0, lastUsed: 0 });
        return;
      }
      // Columns 0/1 are the unshifted/shifted group-1 levels; first mapping wins.
      for (const col of [0, 1]) {
        const ks = row[col];
        if (ks && !this.index.has(ks)) this.index.set(ks, { keycode, shift: col === 1 });
      }
      // A row with only column 0 set means the same keysym on both levels
      // (letters map upper-case in column 1; that is handled by the caller).
    });
  }

  /** Number of keycodes available for remapping. */
  get spareCount(): number {
    return this.spare.length;
  }

  /** Keycode of a keysym in the mapping as it stands, without remapping. */
  find(keysym: number): KeyLocation | undefined {
    const loc = this.index.get(keysym);
    if (loc) {
      const lent = this.spare.find((s) => s.keycode === loc.keycode);
      if (lent) lent.lastUsed = this.now();
    }
    return loc;
  }

  /**
   * Keycode for a keysym, lending a spare keycode when the mapping lacks it.
   * Waits (briefly) when every spare keycode was used within REMAP_GRACE_MS.
   * Throws when the server has no spare keycode at all.
   */
  async resolve(keysym: number): Promise<KeyLocation> {
    const found = this.find(keysym);
    if (found) return found;
    if (this.spare.length === 0) {
      throw new Error(`keysym 0x${keysym.toString(16)} is not in the keymap and no spare keycode is free`);
    }
    let victim = this.spare[0];
    for (const s of this.spare) if (s.lastUsed < victim.lastUsed) victim = s;
    const idle = this.now() - victim.lastUsed;
    if (idle < REMAP_GRACE_MS) await sleep(REMAP_GRACE_MS - idle);
    if (victim.keysym) this.index.delete(victim.keysym);
    // Same keysym on both levels so a held Shift cannot change it.
    await this.io.changeMapping(victim.keycode, [keysym, keysym]);
    victim.keysym = keysym;
    victim.lastUsed = this.now();
    const loc = { keycode: victim.keycode, shift: false };
    this.index.set(keysym, loc);
    return loc;
  }

  /** Clears every lent keycode (back to NoSymbol). */
  async restore(): Promise<void> {
    for (const s of this.spare) {
      if (!s.keysym) continue;
      this.index.delete(s.keysym);
      s.keysym = 0;
      await this.io.changeMapping(s.keycode, [0, 0]);
    }
  }
}
