/**
 * Keysym -> keycode resolution over the server's core keyboard mapping, with
 * spare keycodes (rows with no keysym) lent to keysyms the keymap lacks, so any
 * Unicode character can be typed. This is the trick xdotool and TigerVNC use.
 *
 * Every mapping change makes every client re-read the mapping (MappingNotify,
 * X11 protocol section 11), and an application that is still re-reading may
 * handle later input out of order. So changes are few: `lend` gives all the
 * keysyms a text needs their keycodes in one ChangeKeyboardMapping request
 * (it spans the range between the lowest and highest keycode it changes and
 * writes the rows in between as they are), and lent keycodes stay mapped
 * across calls, reassigned least-recently-used. A keycode is reassigned only
 * after it has been idle for REMAP_GRACE_MS: a client may look a keycode up
 * after its key event, and must still find the keysym it was pressed for.
 * Every lent keycode is cleared on close.
 */

import { sleep } from "../../os/sleep.js";

/** Where a keysym lives: its keycode and whether Shift selects it (column 1). */
export interface KeyLocation {
  keycode: number;
  shift: boolean;
}

/** What the keymap needs from the X connection. */
export interface KeymapIO {
  /** ChangeKeyboardMapping: `rows` (all of one length) replace the rows from `firstKeycode` on. */
  changeMapping(firstKeycode: number, rows: number[][]): Promise<void>;
}

/** Time a lent keycode must stay idle before it may be remapped, ms. */
export const REMAP_GRACE_MS = 100;

interface Spare {
  keycode: number;
  keysym: number;
  lastUsed: number;
}

export class Keymap {
  private readonly index = new Map<number, KeyLocation>();
  private readonly spare: Spare[] = [];
  private readonly rows: number[][];
  /** ChangeKeyboardMapping requests sent so far (for specs and the benchmark). */
  mappingChanges = 0;

  /**
   * @param minKeycode first keycode of `rows`
   * @param rows keysyms per keycode from GetKeyboardMapping
   */
  constructor(
    private readonly minKeycode: number,
    rows: number[][],
    private readonly io: KeymapIO,
    private readonly now: () => number = Date.now,
  ) {
    this.rows = rows.map((r) => [...r]);
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

  /** Keycode for one keysym, lending a spare keycode when the mapping lacks it (see `lend`). */
  async resolve(keysym: number): Promise<KeyLocation> {
    await this.lend([keysym]);
    const found = this.find(keysym);
    if (!found) throw new Error(`keysym 0x${keysym.toString(16)} could not be mapped`);
    return found;
  }

  /**
   * Makes every keysym of `keysyms` resolvable, lending spare keycodes to the
   * missing ones in one mapping change. Resolves true when the mapping
   * changed. At most `spareCount` keysyms may be missing at once; waits
   * (briefly) when a keycode to reassign was used within REMAP_GRACE_MS.
   * Throws when the server has no spare keycode, or too few.
   */
  async lend(keysyms: number[]): Promise<boolean> {
    const missing = [...new Set(keysyms)].filter((k) => !this.index.has(k));
    for (const k of keysyms) this.find(k);
    if (missing.length === 0) return false;
    if (missing.length > this.spare.length) {
      throw new Error(`${missing.length} keysyms are not in the keymap and only ${this.spare.length} spare keycodes exist`);
    }
    const wanted = new Set(keysyms);
    // Least recently used first, never one holding a keysym this text needs.
    const victims = this.spare
      .filter((s) => !wanted.has(s.keysym))
      .sort((a, b) => a.lastUsed - b.lastUsed)
      .slice(0, missing.length);
    const idle = this.now() - Math.max(...victims.map((v) => v.lastUsed));
    if (idle < REMAP_GRACE_MS) await sleep(REMAP_GRACE_MS - idle);
    const at = this.now();
    victims.forEach((v, i) => {
      if (v.keysym) this.index.delete(v.keysym);
      v.keysym = missing[i];
      v.lastUsed = at;
      // Same keysym on both levels so a held Shift cannot change it.
      this.rows[v.keycode - this.minKeycode] = this.rows[v.keycode - this.minKeycode].map((_, col) => (col < 2 ? v.keysym : 0));
      this.index.set(v.keysym, { keycode: v.keycode, shift: false });
    });
    await this.write(victims.map((v) => v.keycode));
    return true;
  }

  /**
   * `keysyms` cut into runs that each fit the spare keycodes (at most
   * `spareCount` distinct keysyms outside the server's own mapping), so each
   * run can be lent in one change.
   */
  segments(keysyms: number[]): number[][] {
    const out: number[][] = [];
    let run: number[] = [];
    let extra = new Set<number>();
    for (const k of keysyms) {
      const needsSpare = !this.index.has(k) || this.spare.some((s) => s.keysym === k);
      if (needsSpare && !extra.has(k) && extra.size === this.spare.length) {
        out.push(run);
        run = [];
        extra = new Set();
      }
      if (needsSpare) extra.add(k);
      run.push(k);
    }
    if (run.length) out.push(run);
    return out;
  }

  /** Clears every lent keycode (back to NoSymbol), in one mapping change. */
  async restore(): Promise<void> {
    const lent = this.spare.filter((s) => s.keysym);
    for (const s of lent) {
      this.index.delete(s.keysym);
      s.keysym = 0;
      this.rows[s.keycode - this.minKeycode] = this.rows[s.keycode - this.minKeycode].map(() => 0);
    }
    if (lent.length) await this.write(lent.map((s) => s.keycode));
  }

  /** One ChangeKeyboardMapping over the keycodes from the lowest to the highest of `keycodes`. */
  private async write(keycodes: number[]): Promise<void> {
    const first = Math.min(...keycodes) - this.minKeycode;
    const last = Math.max(...keycodes) - this.minKeycode;
    this.mappingChanges++;
    await this.io.changeMapping(first + this.minKeycode, this.rows.slice(first, last + 1));
  }
}
