/**
 * A desktop replaced in the middle of an Action, on both backends: its Xvnc
 * is killed after the call's input and before its settle (or between the
 * keys of one `key` action), and the replacement is up before the call goes
 * on. Every call either completes on one desktop or fails UNAVAILABLE, and
 * no input of it ever reaches the new desktop, as the new X server's own
 * record of input shows.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import type { DesktopSession } from "../src/desktop/desktop.js";
import type { SessionDriver } from "../src/desktop/session.js";
import { quietFor, until } from "./helpers/process.js";
import { contractBackends, type TestServer, useServer } from "./helpers/server.js";
import { TestWindows } from "./helpers/xwindow.js";

const NATIVE = { width: 640, height: 480 };
const ROUNDS = 20;

for (const backend of contractBackends()) {
  describe(`a desktop replaced mid-Action: ${backend.name}`, () => {
    const t = useServer(() => backend.start({ geometry: NATIVE }) as Promise<TestServer<SessionDriver>>);

    /** Kills the running desktop's X server and resolves once a new desktop is up, recording every input its X server gets. */
    async function replace(old: DesktopSession): Promise<TestWindows> {
      process.kill(old.pids[0], "SIGKILL");
      await until(() => t().host.current() !== old, "the host knows the desktop died", 15_000);
      const fresh = await t().host.session();
      assert.notEqual(fresh, old);
      const w = await TestWindows.open(fresh.endpoint.display, fresh.endpoint.cookie);
      await w.window(0, 0, NATIVE.width, NATIVE.height, 0x203040, { record: true, grabKeyboard: true });
      return w;
    }

    it(`${ROUNDS} times: killed after the input (before the settle, or between two keys), the call fails UNAVAILABLE and no input reaches the new desktop`, {
      timeout: 300_000,
    }, async () => {
      const outcomes: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const old = await t().host.session();
        let recorder: TestWindows | undefined;
        const afterKeys = round % 2 === 1;
        if (afterKeys) {
          // Between the first key of "a b c d" and the next.
          const input = (old as unknown as { driver: SessionDriver }).driver.input;
          const keyPress = input.keyPress.bind(input);
          let presses = 0;
          input.keyPress = async (combo, signal) => {
            await keyPress(combo, signal);
            if (++presses === 1) recorder = await replace(old);
          };
        } else {
          const settle = old.settle.bind(old);
          Object.assign(old, {
            settle: async (opts: Parameters<DesktopSession["settle"]>[0]) => {
              recorder = await replace(old);
              return settle(opts);
            },
          });
        }
        const call = afterKeys
          ? t().grpc.action({ action: { case: "key", value: { text: "a b c d" } }, settle: {} })
          : t().grpc.action({
              action: { case: "leftClick", value: { coordinate: { x: 100 + round, y: 100 } } },
              settle: {},
              captureAfter: {},
            });
        const outcome = await call.then(
          () => "ok",
          (e) => Code[ConnectError.from(e).code],
        );
        outcomes.push(outcome);
        assert.ok(recorder, "the desktop was replaced during the call");
        try {
          await quietFor(300); // anything the call still sent would arrive within this
          assert.deepEqual(recorder.events, [], `round ${round}: input reached the new desktop`);
        } finally {
          recorder.close();
        }
      }
      assert.deepEqual(
        outcomes.filter((o) => o !== "Unavailable" && o !== "ok"),
        [],
        `every call completed on one desktop or failed UNAVAILABLE: ${outcomes}`,
      );
    });
  });
}
