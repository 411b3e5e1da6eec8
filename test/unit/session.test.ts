/**
 * The session keeper's rules (src/desktop/session.ts) with fake sessions:
 * one launch shared by concurrent callers, a dead session replaced once, a
 * failed probe counts as death, close final and idempotent, and a launch that
 * ends after close is stopped and its callers rejected. The real-process
 * specs (test/lifecycle.test.ts, test/portable.test.ts) show the same on Xvnc.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DesktopClosedError, DesktopUnavailableError } from "../../src/desktop/errors.js";
import { SessionKeeper } from "../../src/desktop/session.js";
import { testLogger } from "../helpers/server.js";

interface FakeSession {
  id: number;
  stopped?: "replaced" | "closed";
  dead?: string;
}

/** A launcher whose launches finish when the spec says (`finish`), or at once. */
function launcher(opts: { manual?: boolean; failFirst?: boolean; whileLaunching?: (s: FakeSession) => void } = {}) {
  const launched: FakeSession[] = [];
  const pending: (() => void)[] = [];
  let failNext = opts.failFirst ?? false;
  const keeper = new SessionKeeper<FakeSession>(
    {
      launch: async () => {
        if (opts.manual) await new Promise<void>((r) => pending.push(r));
        if (failNext) {
          failNext = false;
          throw new DesktopUnavailableError("Xvnc is not installed");
        }
        const s = { id: launched.length + 1 };
        launched.push(s);
        opts.whileLaunching?.(s);
        return s;
      },
      stop: async (s, why) => {
        s.stopped = why;
      },
      probe: (s) => s.dead,
    },
    testLogger(),
  );
  const finish = async () => {
    while (!pending.length) await new Promise((r) => setImmediate(r));
    pending.shift()?.();
  };
  return { keeper, launched, finish };
}

describe("SessionKeeper", () => {
  it("starts lazily, and concurrent callers share one launch", async () => {
    const { keeper, launched, finish } = launcher({ manual: true });
    assert.equal(keeper.current(), undefined);
    assert.equal(launched.length, 0, "nothing launched before the first get");
    const calls = [keeper.get(), keeper.get(), keeper.get()];
    await finish();
    const sessions = await Promise.all(calls);
    assert.equal(launched.length, 1);
    assert.ok(sessions.every((s) => s === launched[0]));
    assert.equal(await keeper.get(), launched[0], "a live session is returned as is");
  });

  it("a session reported lost is stopped and replaced once, on the next get", async () => {
    const { keeper, launched } = launcher();
    const first = await keeper.get();
    keeper.lost(first, "Xvnc exited");
    keeper.lost(first, "X connection closed");
    assert.equal(keeper.current(), undefined, "a dead session is not current");
    assert.equal(first.stopped, undefined, "nothing happens until the next call");
    const [a, b] = await Promise.all([keeper.get(), keeper.get()]);
    assert.equal(a, b);
    assert.equal(launched.length, 2, "one replacement for both callers");
    assert.equal(first.stopped, "replaced");
    keeper.lost(first, "late news about the old session");
    assert.equal(keeper.current(), a, "reports about an older session change nothing");
  });

  it("a failed probe counts as death: the same call gets a new session", async () => {
    const { keeper, launched } = launcher();
    const first = await keeper.get();
    first.dead = "Xvnc exited";
    const second = await keeper.get();
    assert.notEqual(second, first);
    assert.equal(first.stopped, "replaced");
    assert.equal(launched.length, 2);
  });

  it("a death reported while the session was still launching is not forgotten", async () => {
    // As when Xvnc exits while the built-in backend waits for the window manager.
    const { keeper, launched } = launcher({
      whileLaunching: (s) => {
        if (s.id === 1) keeper.lost(s, "Xvnc exited during start");
      },
    });
    const first = await keeper.get();
    assert.equal(keeper.current(), undefined, "known dead from the start");
    const second = await keeper.get();
    assert.notEqual(second, first);
    assert.equal(first.stopped, "replaced");
    assert.equal(launched.length, 2);
  });

  it("a failed launch is not kept: the next call tries again", async () => {
    const { keeper, launched } = launcher({ failFirst: true });
    await assert.rejects(keeper.get(), /Xvnc is not installed/);
    assert.equal((await keeper.get()).id, launched[0].id);
  });

  it("close stops the session, is idempotent, and is final", async () => {
    const { keeper } = launcher();
    const s = await keeper.get();
    await Promise.all([keeper.close(), keeper.close()]);
    await keeper.close();
    assert.equal(s.stopped, "closed");
    await assert.rejects(keeper.get(), DesktopClosedError);
    assert.equal(keeper.current(), undefined);
    keeper.lost(s, "its Xvnc exits because close stopped it");
  });

  it("a launch that finishes after close began is stopped, and its callers are rejected", async () => {
    const { keeper, launched, finish } = launcher({ manual: true });
    const call = keeper.get();
    const closing = keeper.close();
    await finish();
    await assert.rejects(call, DesktopClosedError);
    await closing;
    assert.equal(launched[0].stopped, "closed");
  });
});
