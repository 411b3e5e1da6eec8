/**
 * Clipboard reads against owners the desktop's programs control, both
 * backends: a read is bounded as a whole (3 s, or the caller's deadline) and
 * asks nothing more of the owner once it ended, whatever the owner's pace;
 * reads at once each get the whole text. Before, an owner sending 1 KiB
 * every 2.5 s held a read for 32 s and more after its caller left, and
 * concurrent reads returned 131,072 of 307,200 characters each.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import type { SessionDriver } from "../src/desktop/session.js";
import { Clipboard, READ_TIMEOUT_MS } from "../src/desktop/x11/clipboard.js";
import { sleep } from "../src/os/sleep.js";
import { quietFor } from "./helpers/process.js";
import { startPortableServer, startTestServer, type TestServer, useServer } from "./helpers/server.js";
import { SlowIncrOwner } from "./helpers/slow-owner.js";

const NATIVE = { width: 800, height: 600 };

const backends = [
  { name: "builtin", start: () => startTestServer({ geometry: NATIVE }) },
  { name: "portabledesktop (stand-in CLI)", start: () => startPortableServer({ geometry: NATIVE }) },
];

for (const backend of backends) {
  describe(`clipboard owners: ${backend.name}`, () => {
    const t = useServer(backend.start as () => Promise<TestServer<SessionDriver>>);

    describe("an owner that hands over 1 KiB every 2.5 s", () => {
      let owner: SlowIncrOwner;
      before(async () => {
        owner = await SlowIncrOwner.start(t().x11().display, t().x11().cookie, { bytes: 64 * 1024, chunkBytes: 1024, everyMs: 2500 });
      });
      after(() => owner?.close());

      it(`a read ends UNAVAILABLE after ${READ_TIMEOUT_MS} ms in all, and asks for no chunk after that`, { timeout: 30_000 }, async () => {
        const started = Date.now();
        const err = await t()
          .grpc.getClipboard({})
          .then(
            () => undefined,
            (e) => ConnectError.from(e),
          );
        assert.equal(err?.code, Code.Unavailable, String(err));
        assert.match(err.rawMessage, /did not hand over its text within 3000 ms/);
        assert.ok(Date.now() - started >= READ_TIMEOUT_MS);
        const asked = owner.asked;
        await quietFor(4000); // past the owner's next chunk: a reader still at work would ask again
        assert.equal(owner.asked, asked, "the read stopped asking");
      });

      it("a read with a 1 s deadline ends DEADLINE_EXCEEDED, and asks for no chunk after that", { timeout: 30_000 }, async () => {
        const err = await t()
          .grpc.getClipboard({}, { timeoutMs: 1000 })
          .then(
            () => undefined,
            (e) => ConnectError.from(e),
          );
        assert.equal(err?.code, Code.DeadlineExceeded, String(err));
        const asked = owner.asked;
        await quietFor(4000);
        assert.equal(owner.asked, asked);
      });
    });

    it("eight reads at once of 307,200 characters (INCR) each get all of them", async () => {
      const other = await Clipboard.connect(t().x11().display, t().x11().cookie);
      try {
        const text = Array.from({ length: 307_200 }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
        await other.set(text, "CLIPBOARD");
        // Started a few ms apart, so each begins while others are mid-transfer.
        const reads = await Promise.all(Array.from({ length: 8 }, (_, i) => sleep(i * 7).then(() => t().grpc.getClipboard({}))));
        assert.deepEqual(
          reads.map((r) => r.text.length),
          Array(8).fill(307_200),
        );
        for (const r of reads) assert.equal(r.text, text);
      } finally {
        other.close();
      }
    });
  });
}
