/**
 * The keyboard and pointer as a task leaves them, read and dirtied from
 * outside the desktop by a test X client: a remapped key, the pointer and
 * button state, Caps Lock.
 */
import assert from "node:assert/strict";
import { LOCK_MASK } from "../../src/desktop/keys.js";
import { X11Connection } from "../../src/desktop/x11/connection.js";

// Keycode 38 is "a" in Xvnc's keymap; the task maps it to "z".
export const KEYCODE_A = 38;
export const [XK_a, XK_z] = [0x61, 0x7a];

/** An X client of the task's, from outside the desktop, with a window of its own; it remaps a key. */
export async function dirtyKeyboard(t: { x11(): { display: string; cookie: string } }): Promise<X11Connection> {
  const x = await X11Connection.connect(t.x11().display, t.x11().cookie);
  x.send((X) => X.CreateWindow(X.AllocID(), x.root, 0, 0, 10, 10, 0, 0, 0, 0, {}));
  const min = x.display.min_keycode;
  const [row] = await x.call<number[][]>((X, cb) => X.GetKeyboardMapping(KEYCODE_A, 1, cb));
  assert.equal(row[0], XK_a);
  x.send((X) =>
    X.ChangeKeyboardMapping(
      KEYCODE_A,
      row.length,
      row.map((k, i) => (i < 2 ? XK_z : k)),
    ),
  );
  await x.sync();
  assert.ok(min <= KEYCODE_A);
  return x;
}

export async function keyboardState(t: {
  x11(): { display: string; cookie: string };
}): Promise<{ keysym: number; capsLock: boolean; pointer: [number, number]; buttons: number }> {
  const x = await X11Connection.connect(t.x11().display, t.x11().cookie);
  try {
    const [row] = await x.call<number[][]>((X, cb) => X.GetKeyboardMapping(KEYCODE_A, 1, cb));
    const p = await x.pointer();
    return { keysym: row[0], capsLock: (p.buttonMask & LOCK_MASK) !== 0, pointer: [p.x, p.y], buttons: p.buttonMask & 0x1f00 };
  } finally {
    x.close();
  }
}
