/**
 * Errors to codes (src/server/rpc/errors.ts), in memory: each typed desktop
 * error gets its code on unary calls and mid-stream, anything else is
 * INTERNAL with its cause, shutdown makes failures UNAVAILABLE, and a missing
 * or wrong token is UNAUTHENTICATED before the desktop is touched.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  DataLossError,
  DesktopClosedError,
  DesktopUnavailableError,
  InvalidInputError,
  NotFoundError,
  ResourceExhaustedError,
} from "../../src/desktop/errors.js";
import { startInMemory, useInMemory } from "../helpers/in-memory.js";

const failure = (e: unknown) => {
  const err = ConnectError.from(e);
  return { code: Code[err.code], message: err.rawMessage };
};

const TABLE: [string, unknown, keyof typeof Code, string][] = [
  ["InvalidInputError", new InvalidInputError("scroll.amount", "too big"), "InvalidArgument", "scroll.amount: too big"],
  ["DesktopUnavailableError", new DesktopUnavailableError("Xvnc is gone"), "Unavailable", "Xvnc is gone"],
  ["DesktopClosedError", new DesktopClosedError(), "Unavailable", "desktop closed"],
  ["NotFoundError", new NotFoundError("no such recording"), "NotFound", "no such recording"],
  ["ResourceExhaustedError", new ResourceExhaustedError("5 recordings"), "ResourceExhausted", "5 recordings"],
  ["DataLossError", new DataLossError("recording corrupted"), "DataLoss", "recording corrupted"],
  ["any other error", new Error("boom"), "Internal", "desktop failure: boom"],
  ["a thrown non-Error", "a string", "Internal", "desktop failure: a string"],
  [
    "a system error naming host paths",
    Object.assign(new Error("EACCES: permission denied, open '/home/someone/secret'"), {
      code: "EACCES",
      syscall: "open",
      path: "/home/someone/secret",
    }),
    "Internal",
    "desktop failure: open failed: EACCES",
  ],
  ["a ConnectError", new ConnectError("as it is", Code.PermissionDenied), "PermissionDenied", "as it is"],
];

describe("errors to codes, in memory", () => {
  const service = useInMemory();

  for (const [name, err, code, message] of TABLE) {
    it(`${name} -> ${code}, on a unary call and in the middle of a stream`, async () => {
      service().desktop.failNext("cursorPosition", err);
      await assert.rejects(service().client.action({ action: { case: "cursorPosition", value: {} } }), (e) => {
        assert.deepEqual(failure(e), { code, message });
        return true;
      });
      const frames = service().client.screenshot({ maxFps: 60, allFrames: true, scaledSize: { width: 8, height: 8 } });
      let received = 0;
      await assert.rejects(
        (async () => {
          for await (const _ of frames) if (++received === 2) service().desktop.failNext("capture", err);
        })(),
        (e) => {
          assert.deepEqual(failure(e), { code, message });
          return true;
        },
      );
      assert.equal(received, 2, "the frames before the failure arrived");
    });
  }

  it("a missing or wrong token is UNAUTHENTICATED and never reaches the desktop", async () => {
    service().desktop.calls.length = 0;
    for (const token of [undefined, "", "wrong-token-wrong-token"]) {
      await assert.rejects(service().clientWithToken(token).getDisplay({}), (e) => failure(e).code === "Unauthenticated", String(token));
    }
    assert.deepEqual(service().desktop.calls, []);
  });

  it("once the server shuts down, a failure without a code of its own is UNAVAILABLE", async () => {
    const s = await startInMemory();
    try {
      s.shutdown.abort();
      s.desktop.failNext("cursorPosition", new Error("socket closed"));
      await assert.rejects(s.client.action({ action: { case: "cursorPosition", value: {} } }), (e) => {
        assert.deepEqual(failure(e), { code: "Unavailable", message: "server is shutting down" });
        return true;
      });
    } finally {
      await s.close();
    }
  });
});
