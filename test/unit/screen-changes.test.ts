/**
 * The change log (src/desktop/screen-changes.ts) and the pixel diff behind it
 * (src/desktop/pixel-diff.ts), in virtual time: settle waits for exactly the
 * quiet period and no longer than asked, a change still being checked keeps
 * the screen unsettled, and a
 * box that keeps coming back (a blinking caret) stops counting while a change
 * elsewhere still counts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clip, diffRegion, union } from "../../src/desktop/pixel-diff.js";
import { BLINK, ChangeLog } from "../../src/desktop/screen-changes.js";
import { FakeClock, pending } from "../helpers/clock.js";

const CARET = { x: 46, y: 46, width: 1, height: 24 };

describe("ChangeLog", () => {
  it("settles after exactly the quiet period when nothing changes", async () => {
    const clock = new FakeClock();
    const log = new ChangeLog({ source: "damage", clock });
    const settling = log.settle({ quietMs: 60, timeoutMs: 1000 });
    await clock.tick(59);
    assert.equal(await pending(settling), "pending", "not before the quiet period");
    await clock.tick(1);
    assert.deepEqual(await settling, { settled: true, waitedMs: 60 });
  });

  it("a change restarts the quiet period; a screen that keeps changing times out at exactly the limit", async () => {
    const clock = new FakeClock();
    const log = new ChangeLog({ source: "damage", clock });
    const settling = log.settle({ quietMs: 100, timeoutMs: 2000 });
    await clock.tick(50);
    log.record({ x: 0, y: 0, width: 100, height: 100 }, clock.now());
    await clock.tick(99);
    assert.equal(await pending(settling), "pending", "the change restarted the quiet period");
    await clock.tick(1);
    assert.deepEqual(await settling, { settled: true, waitedMs: 150 });

    const busy = log.settle({ quietMs: 100, timeoutMs: 300 });
    for (let i = 0; i < 15; i++) {
      await clock.tick(20);
      log.record({ x: i * 10, y: 0, width: 10, height: 10 }, clock.now());
    }
    assert.deepEqual(await busy, { settled: false, waitedMs: 300 });
  });

  it("a change still being checked holds the settle until its verdict; 'nothing changed' does not restart the quiet period", async () => {
    const clock = new FakeClock();
    const log = new ChangeLog({ source: "damage", clock });
    const done = log.begin();
    const settling = log.settle({ quietMs: 50, timeoutMs: 2000 });
    await clock.tick(149);
    assert.equal(await pending(settling), "pending", "held while the change is checked");
    done(null, clock.now());
    await clock.tick(1);
    // No change after all: the quiet period counts from the settle's start, long past.
    assert.deepEqual(await settling, { settled: true, waitedMs: 150 });

    const changed = log.begin();
    const again = log.settle({ quietMs: 50, timeoutMs: 2000 });
    await clock.tick(100);
    changed({ x: 0, y: 0, width: 4, height: 4 }, clock.now());
    await clock.tick(49);
    assert.equal(await pending(again), "pending", "a real change: its quiet period follows");
    await clock.tick(1);
    assert.deepEqual(await again, { settled: true, waitedMs: 150 });
  });

  it("a box that changed twice before, each time at least 200 ms apart, is a blink and does not count", () => {
    const log = new ChangeLog({ source: "damage" });
    log.record(CARET, 1000);
    log.record(CARET, 1500);
    assert.equal(log.lastChange(), 1500, "the first two count");
    log.record(CARET, 2000);
    log.record({ ...CARET, x: CARET.x + 1 }, 2500); // anti-aliasing moves an edge by a pixel
    assert.equal(log.lastChange(), 1500, "from the third on, a blink");
    assert.equal(log.lastChange(true), 2500, "still seen as a change when blinks are asked for");
    log.record({ x: 47, y: 46, width: 36, height: 24 }, 2600);
    assert.equal(log.lastChange(), 2600, "typed text next to the caret counts");
  });

  it("firstChangeAfter(t) is the first change that counts after t (how soon the screen reacted to input at t), blinks aside", () => {
    const log = new ChangeLog({ source: "damage" });
    for (const t of [0, 500, 1000, 1500]) log.record(CARET, t);
    assert.equal(log.firstChangeAfter(900), undefined, "only blinks since 900");
    log.record({ x: 0, y: 0, width: 8, height: 8 }, 1700);
    log.record({ x: 0, y: 20, width: 8, height: 8 }, 1600);
    assert.equal(log.firstChangeAfter(900), 1600, "the earliest, whatever the order it was recorded in");
    assert.equal(log.firstChangeAfter(1650), 1700);
    assert.equal(log.firstChangeAfter(1700), undefined);
  });

  it("a box changing fast (an animation) is no blink: that screen is not settled", () => {
    const log = new ChangeLog({ source: "damage" });
    for (let t = 0; t <= 200; t += 40) log.record(CARET, t);
    assert.equal(log.lastChange(), 200);
  });

  it("a blink is forgotten after the window: it counts again", () => {
    const log = new ChangeLog({ source: "damage" });
    for (const t of [0, 500, 1000]) log.record(CARET, t);
    const later = 1000 + BLINK.windowMs + 1000;
    log.record(CARET, later);
    assert.equal(log.lastChange(), later);
  });

  it("nextChange wakes on a change that counts, not on a blink or on drawing still being checked unless asked; an abort rejects it", async () => {
    const log = new ChangeLog({ source: "damage" });
    for (const t of [0, 500]) log.record(CARET, t);
    let woke = false;
    const next = log.nextChange().then(() => (woke = true));
    const anyNext = log.nextChange(undefined, true);
    log.record(CARET, 1000);
    await anyNext;
    assert.equal(woke, false, "a blink woke only the waiter that asked for blinks");
    log.record({ x: 0, y: 0, width: 5, height: 5 }, 1100);
    await next;
    // Drawing being checked wakes only a waiter for any change: it may be one.
    let wokeEarly = false;
    const counted = log.nextChange().then(() => (wokeEarly = true));
    const early = log.nextChange(undefined, true);
    const done = log.begin();
    await early;
    await Promise.resolve();
    assert.equal(wokeEarly, false, "drawing not yet checked is no change that counts");
    done({ x: 50, y: 50, width: 5, height: 5 }, 1200);
    await counted;
    const ac = new AbortController();
    const aborted = log.nextChange(ac.signal);
    ac.abort(new Error("gone"));
    await assert.rejects(aborted, /gone/);
  });

  it("tells the watcher when someone starts and stops waiting", async () => {
    const clock = new FakeClock();
    const demand: boolean[] = [];
    const log = new ChangeLog({ source: "frames", demand: (w) => demand.push(w), clock });
    const settling = log.settle({ quietMs: 10, timeoutMs: 100 });
    await clock.tick(10);
    await settling;
    assert.deepEqual(demand, [true, false]);
  });
});

describe("pixel diff", () => {
  const W = 8;
  const H = 6;
  const screen = () => Buffer.alloc(W * H * 4, 0x10);

  it("finds the box of the pixels that changed inside a larger redrawn region, and updates the copy", () => {
    const copy = screen();
    const region = { x: 1, y: 1, width: 6, height: 4 };
    const fresh = Buffer.alloc(region.width * region.height * 4, 0x10);
    // Pixels (3,2) and (5,3) of the screen change: (2,1) and (4,2) inside the region.
    fresh.writeUInt32LE(0xffffff, (1 * region.width + 2) * 4);
    fresh.writeUInt32LE(0xff0000, (2 * region.width + 4) * 4);
    assert.deepEqual(diffRegion(copy, W, fresh, region), { x: 3, y: 2, width: 3, height: 2 });
    assert.equal(copy.readUInt32LE((2 * W + 3) * 4), 0xffffff, "the copy now holds the new pixels");
    assert.equal(diffRegion(copy, W, fresh, region), null, "the same pixels again: no change");
  });

  it("a redraw that changes nothing is no change", () => {
    const region = { x: 0, y: 0, width: W, height: H };
    assert.equal(diffRegion(screen(), W, screen(), region), null);
  });

  it("union and clip keep boxes on the screen", () => {
    assert.deepEqual(union(null, { x: 1, y: 1, width: 2, height: 2 }), { x: 1, y: 1, width: 2, height: 2 });
    assert.deepEqual(union({ x: 0, y: 0, width: 2, height: 2 }, { x: 5, y: 5, width: 1, height: 1 }), { x: 0, y: 0, width: 6, height: 6 });
    assert.deepEqual(clip({ x: -5, y: 4, width: 10, height: 10 }, W, H), { x: 0, y: 4, width: 5, height: 2 });
    assert.equal(clip({ x: 20, y: 0, width: 5, height: 5 }, W, H), null);
  });
});
