/**
 * Key names -> X keysyms.
 *
 * The names coder/coder's agent/agentdesktop accepts, plus X keysym names
 * (X.Org's keysymdef.h, xorgproto): combos split on "+"; case-insensitive
 * aliases (ctrl, alt, shift, super/meta/cmd, return/enter, esc, pageup...); a
 * single upper-case letter means the lower-case key; anything else is an X
 * keysym name. An unknown name is an error, never a silent no-op.
 */
import { createRequire } from "node:module";
import { InvalidInputError } from "./errors.js";

const require = createRequire(import.meta.url);
// X.Org's keysymdef.h as shipped by the x11 package: { XK_name: { code } }.
const keysymdef = require("x11/lib/keysyms.js") as Record<string, { code: number }>;

/** A parsed key: the keysym and a canonical name (used by CLI backends). */
/** Caps_Lock's keysym. */
export const CAPS_LOCK = 0xffe5;
/** The Lock modifier bit of a core key or pointer state (X11 protocol, SETofKEYMASK): Caps Lock is on. */
export const LOCK_MASK = 0x02;

export interface Key {
  keysym: number;
  name: string;
}

const ALIASES: Record<string, string> = {
  ctrl: "Control_L",
  control: "Control_L",
  alt: "Alt_L",
  shift: "Shift_L",
  super: "Super_L",
  meta: "Super_L",
  command: "Super_L",
  cmd: "Super_L",
  win: "Super_L",
  return: "Return",
  enter: "Return",
  backspace: "BackSpace",
  tab: "Tab",
  escape: "Escape",
  esc: "Escape",
  space: "space",
  delete: "Delete",
  del: "Delete",
  insert: "Insert",
  home: "Home",
  end: "End",
  pageup: "Prior",
  page_up: "Prior",
  pagedown: "Next",
  page_down: "Next",
  up: "Up",
  down: "Down",
  left: "Left",
  right: "Right",
};
for (let i = 1; i <= 12; i++) ALIASES[`f${i}`] = `F${i}`;

// XF86keysym.h is not in keysymdef.h; these are the media/hardware keys agents use.
const XF86: Record<string, number> = {
  XF86AudioLowerVolume: 0x1008ff11,
  XF86AudioMute: 0x1008ff12,
  XF86AudioRaiseVolume: 0x1008ff13,
  XF86AudioPlay: 0x1008ff14,
  XF86AudioStop: 0x1008ff15,
  XF86AudioPrev: 0x1008ff16,
  XF86AudioNext: 0x1008ff17,
  XF86AudioPause: 0x1008ff31,
  XF86MonBrightnessUp: 0x1008ff02,
  XF86MonBrightnessDown: 0x1008ff03,
  XF86Back: 0x1008ff26,
  XF86Forward: 0x1008ff27,
  XF86Reload: 0x1008ff73,
  XF86Search: 0x1008ff1b,
  XF86HomePage: 0x1008ff18,
  XF86Mail: 0x1008ff19,
  XF86Calculator: 0x1008ff1d,
  XF86Copy: 0x1008ff57,
  XF86Cut: 0x1008ff58,
  XF86Paste: 0x1008ff6d,
};

/** Keysym for an exact X keysym name ("Return", "semicolon", "U20AC", "0xff0d"), or undefined. */
export function keysymFromName(name: string): number | undefined {
  const def = keysymdef[`XK_${name}`];
  if (def) return def.code;
  if (name in XF86) return XF86[name];
  // XStringToKeysym also accepts "Uxxxx" (Unicode) and "0x..." (raw keysym).
  let m = /^U([0-9a-fA-F]{4,6})$/.exec(name);
  if (m) return keysymForCodePoint(parseInt(m[1], 16));
  m = /^0x([0-9a-fA-F]{1,8})$/.exec(name);
  if (m) return parseInt(m[1], 16);
  return undefined;
}

/**
 * The keysym X uses for a Unicode code point: Latin-1 printable characters are
 * their own keysym, everything else is 0x01000000 + code point (X11 keysym
 * encoding, Appendix A). Control characters map to their function keys.
 */
export function keysymForCodePoint(cp: number): number {
  if (cp === 0x0a || cp === 0x0d) return 0xff0d; // Return
  if (cp === 0x09) return 0xff09; // Tab
  if (cp === 0x08) return 0xff08; // BackSpace
  if (cp === 0x1b) return 0xff1b; // Escape
  if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff)) return cp;
  return 0x01000000 + cp;
}

/** Resolves one key name of a combo (alias, single letter or keysym name). */
export function parseKey(raw: string, field: string): Key {
  const token = raw.trim();
  if (token === "") throw new InvalidInputError(field, `empty key name in "${raw}"`);
  const alias = ALIASES[token.toLowerCase()];
  if (alias) return { keysym: keysymFromName(alias)!, name: alias };
  // "A" means the a key (a combo such as CTRL+L names keys, not characters).
  const name = /^[A-Z]$/.test(token) ? token.toLowerCase() : token;
  const keysym = keysymFromName(name);
  if (keysym === undefined) throw new InvalidInputError(field, `unknown key name "${token}"`);
  return { keysym, name };
}

/** Max length of a combo string, bytes. */
export const MAX_COMBO_LENGTH = 256;

/**
 * Parses a combo such as "ctrl+shift+t" into keys in press order. A lone "+"
 * (or a trailing "++") names the plus key. Throws InvalidInputError naming `field`.
 */
export function parseCombo(text: string, field: string): Key[] {
  if (text.trim() === "") throw new InvalidInputError(field, "is required");
  if (Buffer.byteLength(text) > MAX_COMBO_LENGTH) {
    throw new InvalidInputError(field, `is longer than ${MAX_COMBO_LENGTH} bytes`);
  }
  const parts = text === "+" ? ["plus"] : text.endsWith("++") ? [...text.slice(0, -2).split("+"), "plus"] : text.split("+");
  return parts.map((p) => parseKey(p, field));
}

/**
 * Combos separated by whitespace, in order ("ctrl+a BackSpace"), as `xdotool
 * key` takes them; one combo is a sequence of one. Throws InvalidInputError
 * naming `field` for an empty text, a text over MAX_COMBO_LENGTH bytes or any
 * unknown name, before anything is pressed.
 */
export function parseKeySequence(text: string, field: string): Key[][] {
  if (Buffer.byteLength(text) > MAX_COMBO_LENGTH) {
    throw new InvalidInputError(field, `is longer than ${MAX_COMBO_LENGTH} bytes`);
  }
  const combos = text.trim().split(/\s+/);
  return combos.map((combo) => parseCombo(combo, field));
}
