/**
 * The host's rules (src/desktop/session-host.ts) with fake desktops: one
 * launch shared by concurrent callers, a dead desktop replaced once, a failed
 * probe counts as death, close final and idempotent, a launch that ends after
 * close is stopped and its callers rejected; reset in place (a new session
 * over the same desktop, its death still reported) or on a new desktop (asked
 * for, or when cleaning fails), and close during a reset; and the session's
 * rule that a lost desktop takes no more input. The real-process specs
 * (test/lifecycle.test.ts, test/portable.test.ts, test/replacement.test.ts)
 * show the same on Xvnc.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DesktopClosedError, DesktopUnavailableError } from "../../src/desktop/errors.js";
import type { SessionDriver } from "../../src/desktop/session.js";
import { type SessionEvents, SessionHost } from "../../src/desktop/session-host.js";
import { FakeDesktop } from "../helpers/fake-desktop.js";
import { testLogger } from "../helpers/server.js";

interface FakeDriver extends SessionDriver {
  id: number;
  stopped?: "replaced" | "closed";
  dead?: string;
  events: SessionEvents;
}

/** A launcher whose launches finish when the spec says (`finish`), or at once. */
function launcher(opts: { manual?: boolean; failFirst?: boolean; whileLaunching?: (d: FakeDriver) => void } = {}) {
  const launched: FakeDriver[] = [];
  const pending: (() => void)[] = [];
  let failNext = opts.failFirst ?? false;
  const host = new SessionHost<FakeDriver>(
    "fake",
    {
      launch: async (events) => {
        if (opts.manual) await new Promise<void>((r) => pending.push(r));
        if (failNext) {
          failNext = false;
          throw new DesktopUnavailableError("Xvnc is not installed");
        }
        const d = Object.assign(new FakeDesktop(), { id: launched.length + 1, events }) as FakeDriver;
        launched.push(d);
        opts.whileLaunching?.(d);
        return d;
      },
      stop: async (d, why) => {
        d.stopped = why;
      },
      probe: (d) => d.dead,
    },
    { logger: testLogger() },
  );
  const finish = async () => {
    while (!pending.length) await new Promise((r) => setImmediate(r));
    pending.shift()?.();
  };
  return { host, launched, finish };
}

describe("SessionHost", () => {
  it("starts lazily, and concurrent callers share one launch", async () => {
    const { host, launched, finish } = launcher({ manual: true });
    assert.equal(host.current(), undefined);
    assert.equal(launched.length, 0, "nothing launched before the first call");
    const calls = [host.session(), host.session(), host.session()];
    await finish();
    const sessions = await Promise.all(calls);
    assert.equal(launched.length, 1);
    assert.ok(sessions.every((s) => s === sessions[0] && s.driver === launched[0]));
    assert.equal(await host.session(), sessions[0], "a live session is returned as is");
  });

  it("a desktop reported lost is marked lost at once, then stopped and replaced once, on the next call", async () => {
    const { host, launched } = launcher();
    const first = await host.session();
    launched[0].events.lost("Xvnc exited");
    launched[0].events.lost("X connection closed");
    assert.equal(host.current(), undefined, "a dead desktop is not current");
    assert.equal(first.lost.aborted, true, "its session knows at once");
    assert.match((first.lost.reason as Error).message, /died: Xvnc exited/);
    assert.equal(launched[0].stopped, undefined, "nothing is stopped until the next call");
    const [a, b] = await Promise.all([host.session(), host.session()]);
    assert.equal(a, b);
    assert.equal(launched.length, 2, "one replacement for both callers");
    assert.equal(launched[0].stopped, "replaced");
    launched[0].events.lost("late news about the old desktop");
    assert.equal(host.current(), a, "reports about an older desktop change nothing");
  });

  it("a lost session takes no more input: every call fails UNAVAILABLE at once and reaches no desktop", async () => {
    const { host, launched } = launcher();
    const first = await host.session();
    launched[0].events.lost("Xvnc exited");
    const fake = launched[0] as unknown as FakeDesktop;
    const before = fake.calls.length;
    await assert.rejects(first.input.click("left", 1, { x: 1, y: 1 }), /died: Xvnc exited/);
    await assert.rejects(first.input.type("late"), DesktopUnavailableError);
    await assert.rejects(first.settle({ quietMs: 10, timeoutMs: 100 }), DesktopUnavailableError);
    await assert.rejects(first.capture(), DesktopUnavailableError);
    assert.equal(fake.calls.length, before, "nothing reached the desktop");
    const second = await host.session();
    assert.notEqual(second, first);
    await second.input.click("left", 1, { x: 2, y: 2 });
    assert.equal((launched[1] as unknown as FakeDesktop).argsOf("click").length, 1, "the replacement got only its own call");
  });

  it("a failed probe counts as death: the same call gets a new desktop", async () => {
    const { host, launched } = launcher();
    const first = await host.session();
    launched[0].dead = "Xvnc exited";
    const second = await host.session();
    assert.notEqual(second, first);
    assert.equal(launched[0].stopped, "replaced");
    assert.equal(launched.length, 2);
  });

  it("a death reported while the desktop was still launching is not forgotten", async () => {
    // As when Xvnc exits while the built-in backend waits for the window manager.
    const { host, launched } = launcher({
      whileLaunching: (d) => {
        if (d.id === 1) d.events.lost("Xvnc exited during start");
      },
    });
    const first = await host.session();
    assert.equal(host.current(), undefined, "known dead from the start");
    const second = await host.session();
    assert.notEqual(second, first);
    assert.equal(launched[0].stopped, "replaced");
    assert.equal(launched.length, 2);
  });

  it("a desktop stalled for good is replaced without waiting for a call", async () => {
    const { host, launched } = launcher();
    const first = await host.session();
    launched[0].events.replace("unresponsive for 30 s");
    assert.equal(first.lost.aborted, true);
    while (launched.length < 2) await new Promise((r) => setImmediate(r));
    assert.equal((await host.session()).driver, launched[1]);
  });

  it("a failed launch is not kept: the next call tries again", async () => {
    const { host, launched } = launcher({ failFirst: true });
    await assert.rejects(host.session(), /Xvnc is not installed/);
    assert.equal((await host.session()).driver, launched[0]);
  });

  it("a caller that gives up while the desktop starts is rejected with its reason; the launch goes on for others", async () => {
    const { host, launched, finish } = launcher({ manual: true });
    const ac = new AbortController();
    const impatient = host.session(ac.signal);
    const patient = host.session();
    ac.abort(new Error("deadline"));
    await assert.rejects(impatient, /deadline/);
    await finish();
    assert.equal((await patient).driver, launched[0]);
  });

  it("close stops the desktop, is idempotent, and is final", async () => {
    const { host, launched } = launcher();
    const s = await host.session();
    await Promise.all([host.close(), host.close()]);
    await host.close();
    assert.equal(launched[0].stopped, "closed");
    assert.equal(s.lost.aborted, true);
    await assert.rejects(host.session(), DesktopClosedError);
    assert.equal(host.current(), undefined);
    launched[0].events.lost("its Xvnc exits because close stopped it");
  });

  it("a launch that finishes after close began is stopped, and its callers are rejected", async () => {
    const { host, launched, finish } = launcher({ manual: true });
    const call = host.session();
    const closing = host.close();
    await finish();
    await assert.rejects(call, DesktopClosedError);
    await closing;
    assert.equal(launched[0].stopped, "closed");
  });

  it("readiness: starting, ready, stalled, lost, replacing, ready, closed; with the reason each time", async () => {
    const { host, launched, finish } = launcher({ manual: true });
    const states = () => {
      const r = host.readiness();
      return r.ready ? "ready" : `${r.state}: ${r.reason}`;
    };
    assert.equal(states(), "starting: not started yet");
    const first = host.session();
    assert.equal(states(), "starting: the desktop is starting");
    await finish();
    await first;
    assert.equal(states(), "ready");
    launched[0].stall.missed("Xvnc did not answer within 5000 ms (stalled)");
    assert.equal(states(), "stalled: Xvnc did not answer within 5000 ms (stalled)");
    launched[0].stall.answered();
    launched[0].dead = "Xvnc exited";
    assert.equal(states(), "lost: Xvnc exited");
    const second = host.session();
    assert.equal(states(), "replacing: replacing the desktop, which died: Xvnc exited");
    await finish();
    await second;
    assert.equal(states(), "ready");
    await host.close();
    assert.equal(states(), "closed: the service is shutting down");
  });

  it("readiness after a failed start says why; events tell starts, failures and losses", async () => {
    const { host, launched } = launcher({ failFirst: true });
    const seen: string[] = [];
    host.events.on("started", (e) => seen.push(`started replacement=${e.replacement}`));
    host.events.on("failed", (e) => seen.push(`failed: ${e.reason}`));
    host.events.on("lost", (e) => seen.push(`lost: ${e.reason}`));
    await assert.rejects(host.session(), /not installed/);
    const r = host.readiness();
    assert.deepEqual(r, { ready: false, state: "starting", reason: "the desktop failed to start: Xvnc is not installed" });
    await host.session();
    launched[0].events.lost("Xvnc exited");
    await host.session();
    assert.deepEqual(seen, ["failed: Xvnc is not installed", "started replacement=false", "lost: Xvnc exited", "started replacement=true"]);
  });
});

/** A host whose launcher can clean a desktop in place; `cleaning` decides how each clean goes. */
function cleanable(cleaning: (d: FakeDriver, whileStopped: () => Promise<void>) => Promise<void> = (_, w) => w()) {
  const launched: FakeDriver[] = [];
  const cleaned: number[] = [];
  const host = new SessionHost<FakeDriver>(
    "fake",
    {
      launch: async (events) => {
        const d = Object.assign(new FakeDesktop(), { id: launched.length + 1, events }) as FakeDriver;
        launched.push(d);
        return d;
      },
      stop: async (d, why) => {
        d.stopped = why;
      },
      clean: async (d, whileStopped) => {
        await cleaning(d, whileStopped);
        cleaned.push(d.id);
        return { before: [{ name: "stop programs", ms: 1, detail: "" }], after: [{ name: "start apps", ms: 1, detail: "" }] };
      },
    },
    { logger: testLogger() },
  );
  return { host, launched, cleaned };
}

describe("SessionHost.reset", () => {
  it("in place: a new session over the same desktop; the old one is lost 'was reset'; nothing stopped; whileStopped once", async () => {
    const { host, launched, cleaned } = cleanable();
    const old = await host.session();
    let files = 0;
    const r = await host.reset(async () => {
      files++;
    });
    assert.equal(r.newServer, false);
    assert.notEqual(r.session, old);
    assert.equal((r.session as typeof old).driver, old.driver);
    assert.match(String(old.lost.reason), /was reset/);
    assert.deepEqual([launched.length, cleaned, launched[0].stopped, files], [1, [1], undefined, 1]);
    assert.equal(await host.session(), r.session);
  });

  it("the desktop's death after an in-place reset reaches the new session, which is then replaced", async () => {
    const { host, launched } = cleanable();
    await host.session();
    const { session } = await host.reset();
    launched[0].events.lost("Xvnc exited");
    assert.match(String(session.lost.reason), /died: Xvnc exited/);
    const next = await host.session();
    assert.notEqual(next, session);
    assert.equal(launched.length, 2);
  });

  it("new_x_server, or a clean that fails: the desktop is stopped and a new one launched, saying why; whileStopped once", async () => {
    const { host, launched } = cleanable(async (_, whileStopped) => {
      await whileStopped();
      throw new Error("a client has no window");
    });
    await host.session();
    let files = 0;
    const failed = await host.reset(async () => {
      files++;
    });
    assert.deepEqual(
      [failed.newServer, failed.why, launched[0].stopped, launched.length, files],
      [true, "it could not be cleaned in place: a client has no window", "replaced", 2, 1],
    );
    const asked = await host.reset(undefined, { newServer: true });
    assert.deepEqual([asked.newServer, asked.why, launched[1].stopped, launched.length], [true, "asked for", "replaced", 3]);
  });

  it("close() while cleaning in place stops the desktop, and the reset fails DesktopClosedError", async () => {
    let release!: () => void;
    const { host, launched } = cleanable(() => new Promise<void>((r) => (release = r)));
    await host.session();
    const resetting = host.reset();
    await new Promise((r) => setImmediate(r));
    const closing = host.close();
    release();
    await assert.rejects(resetting, DesktopClosedError);
    await closing;
    assert.equal(launched[0].stopped, "closed");
    await assert.rejects(host.session(), DesktopClosedError);
  });
});
