/** Key names (src/desktop/keys.ts): aliases, letters, keysym names, errors. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidInputError } from "../../src/desktop/errors.js";
import { keysymForCodePoint, parseCombo } from "../../src/desktop/keys.js";

const names = (s: string) => parseCombo(s, "key.text").map((k) => k.name);

describe("parseCombo", () => {
  it("splits combos and resolves case-insensitive aliases", () => {
    assert.deepEqual(names("ctrl+c"), ["Control_L", "c"]);
    assert.deepEqual(names("Control+ALT+Delete"), ["Control_L", "Alt_L", "Delete"]);
    assert.deepEqual(names("cmd+shift+t"), ["Super_L", "Shift_L", "t"]);
    assert.deepEqual(names("enter"), ["Return"]);
    assert.deepEqual(names("esc"), ["Escape"]);
    assert.deepEqual(names("pageup+page_down"), ["Prior", "Next"]);
    assert.deepEqual(names("F12"), ["F12"]);
  });
  it("a single upper-case letter is the lower-case key", () => {
    assert.deepEqual(names("CTRL+L"), ["Control_L", "l"]);
  });
  it("anything else is an X keysym name", () => {
    assert.equal(parseCombo("semicolon", "f")[0].keysym, 0x3b);
    assert.equal(parseCombo("XF86AudioPlay", "f")[0].keysym, 0x1008ff14);
    assert.equal(parseCombo("U20AC", "f")[0].keysym, 0x10020ac);
  });
  it("the plus key can be named", () => {
    assert.deepEqual(names("+"), ["plus"]);
    assert.deepEqual(names("ctrl++"), ["Control_L", "plus"]);
  });
  it("unknown names and empty combos are errors naming the field", () => {
    for (const bad of ["", "ctrl+", "nosuchkey", "ctrl+bogus", "x".repeat(300)]) {
      assert.throws(
        () => parseCombo(bad, "key.text"),
        (e) => e instanceof InvalidInputError && e.field === "key.text",
        bad,
      );
    }
  });
});

describe("keysymForCodePoint", () => {
  it("Latin-1 is its own keysym; the rest is 0x01000000 + code point", () => {
    assert.equal(keysymForCodePoint("a".codePointAt(0)!), 0x61);
    assert.equal(keysymForCodePoint("é".codePointAt(0)!), 0xe9);
    assert.equal(keysymForCodePoint("✓".codePointAt(0)!), 0x1002713);
    assert.equal(keysymForCodePoint("\n".codePointAt(0)!), 0xff0d);
  });
});
