/**
 * Lending keycodes (src/desktop/x11/keymap.ts) over a recorded mapping: the
 * keysyms a text needs are lent in one ChangeKeyboardMapping, lent keycodes
 * stay across calls, untouched rows are written back as they were, and a text
 * of 1,000 mixed-script characters changes the mapping far less often than
 * lending one keysym at a time did.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keysymForCodePoint } from "../../src/desktop/keys.js";
import { Keymap, REMAP_GRACE_MS } from "../../src/desktop/x11/keymap.js";

/** A mapping like Xvnc's: keycodes 8..255, 7 keysyms each, 19 spare keycodes spread over the range. */
const MIN = 8;
const SPARE = [8, 93, 97, 103, 120, 132, 149, 154, 168, 178, 183, 184, 197, 202, 217, 219, 222, 230, 248];
function xvncRows(): number[][] {
  const letters = [..."abcdefghijklmnopqrstuvwxyz0123456789 .,-"].map((c) => c.codePointAt(0) ?? 0);
  let next = 0;
  return Array.from({ length: 248 }, (_, i) => {
    if (SPARE.includes(MIN + i)) return [0, 0, 0, 0, 0, 0, 0];
    const k = letters[next++ % letters.length];
    return [k, k, 0, 0, 0, 0, 0];
  });
}

/** A keymap whose writes are recorded; its clock moves only when a spec says. */
function keymap() {
  const writes: { first: number; rows: number[][] }[] = [];
  let now = 1_000_000;
  const map = new Keymap(MIN, xvncRows(), { changeMapping: async (first, rows) => void writes.push({ first, rows }) }, () => now);
  return { map, writes, tick: (ms: number) => (now += ms) };
}

const keysyms = (text: string) => [...text].map((c) => keysymForCodePoint(c.codePointAt(0) ?? 0));

describe("Keymap", () => {
  it("lends every missing keysym of a text in one mapping change; present ones need none", async () => {
    const { map, writes } = keymap();
    assert.equal(await map.lend(keysyms("abc")), false);
    assert.equal(await map.lend(keysyms("héllo ✓ 日本")), true);
    assert.equal(writes.length, 1);
    for (const k of keysyms("é✓日本")) assert.ok(map.find(k), `0x${k.toString(16)} has a keycode`);
  });

  it("writes the rows between lent keycodes back unchanged", async () => {
    const { map, writes } = keymap();
    const rows = xvncRows();
    await map.lend(keysyms("é✓"));
    const [{ first, rows: written }] = writes;
    const lent = keysyms("é✓").map((k) => map.find(k)?.keycode);
    written.forEach((row, i) => {
      const keycode = first + i;
      if (lent.includes(keycode)) assert.ok(row[0] !== 0 && row[0] === row[1] && row.slice(2).every((k) => k === 0));
      else assert.deepEqual(row, rows[keycode - MIN], `row ${keycode}`);
    });
  });

  it("keeps lent keycodes across calls, reassigning the least recently used after its grace", async () => {
    const { map, writes, tick } = keymap();
    await map.lend(keysyms("é"));
    tick(REMAP_GRACE_MS);
    assert.equal(await map.lend(keysyms("é")), false, "still lent");
    const spareKeysyms = Array.from({ length: SPARE.length }, (_, i) => 0x01000400 + i);
    tick(REMAP_GRACE_MS);
    await map.lend(spareKeysyms.slice(0, SPARE.length - 1));
    assert.ok(map.find(keysymForCodePoint(0xe9)), "é was used most recently but one: kept");
    assert.equal(writes.length, 2);
  });

  it("cuts a text into runs that each fit the spare keycodes", () => {
    const { map } = keymap();
    const many = Array.from({ length: 45 }, (_, i) => 0x01000400 + i);
    const runs = map.segments([...keysyms("ab"), ...many]);
    assert.deepEqual(
      runs.map((r) => r.length),
      [21, 19, 7],
    );
  });

  it("1,000 mixed-script characters: one mapping change per run instead of one per lent keysym", async () => {
    const scripts = ["héllo wörld ", "привет мир ", "γειά σου ", "日本語のテキスト ", "שלום ", "مرحبا ", "✓→∑ "];
    let text = "";
    for (let i = 0; text.length < 1000; i++) text += scripts[i % scripts.length];
    text = [...text].slice(0, 1000).join("");

    // Before: one keysym lent at a time, as each character came (what `type` did).
    const before = keymap();
    for (const k of keysyms(text)) {
      before.tick(1);
      if (!before.map.find(k)) {
        before.tick(REMAP_GRACE_MS);
        await before.map.lend([k]);
      }
    }
    // Now: a run at a time.
    const after = keymap();
    for (const run of after.map.segments(keysyms(text))) {
      after.tick(REMAP_GRACE_MS);
      await after.map.lend(run);
    }
    const counts = { before: before.map.mappingChanges, after: after.map.mappingChanges };
    assert.ok(counts.after * 5 <= counts.before, `mapping changes ${JSON.stringify(counts)}`);
    process.stdout.write(`# mapping changes for 1,000 mixed-script characters: ${JSON.stringify(counts)}\n`);
  });
});
