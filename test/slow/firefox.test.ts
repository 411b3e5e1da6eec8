/**
 * Input that lands in order in a real browser: Firefox ESR (kiosk, a fresh
 * profile) on the built-in desktop, a form served by the test, driven only
 * through the RPC API with Actions back to back and no sleeps. Each run gets
 * a fresh desktop (so a fresh keymap: every non-ASCII character is lent a
 * keycode during the run) and a fresh Firefox; the form's server must receive
 * exactly what was typed, 20 runs in a row. When a run fails, the page's own
 * log of focus changes and input says where input went astray.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ActionRequestSchema } from "../../gen/desktop/v1/desktop_pb.js";
import { type FormLayout, type FormServer, launchFirefox, startFormServer } from "../helpers/firefox.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/** 20 characters outside the default keymap, among others. */
const UNICODE = "héllo wörld ✓ 日本語 Ωmega — ça va? ß ñ ü → ∑ ¿qué?";
const RUNS = 20;
const SIZE = { width: 1280, height: 720 };

type Action = MessageInitShape<typeof ActionRequestSchema>["action"];

/** Resolves with `p`, or rejects after `ms` saying what did not come. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

/** A fresh desktop with Firefox showing the form (its event log cleared); both are closed after `fn`. */
async function withFirefox(form: FormServer, fn: (t: TestServer, layout: FormLayout) => Promise<void>): Promise<void> {
  const t = await startTestServer({ geometry: SIZE });
  const endpoint = t.driver().endpoint;
  if (!endpoint) throw new Error("no X endpoint");
  const firefox = await launchFirefox(form.url, endpoint);
  form.events.length = 0;
  try {
    await fn(t, await within(form.ready(), 60_000, "page"));
  } finally {
    await firefox.close();
    await t.close();
  }
}

describe("Firefox ESR at API pace (built-in backend)", () => {
  let form: FormServer;
  before(async () => {
    form = await startFormServer();
  });
  after(() => form.close());

  for (let run = 1; run <= RUNS; run++) {
    it(`run ${run}/${RUNS}: click, type Unicode, click, type, select a word by double click and replace it, ctrl+a, BackSpace, Return`, async () => {
      await withFirefox(form, async (t, layout) => {
        const inField = (r: { x: number; y: number; height: number }) => ({ x: r.x + 20, y: r.y + Math.round(r.height / 2) });
        const steps: Action[] = [
          { case: "leftClick", value: { coordinate: inField(layout.a) } },
          { case: "type", value: { text: UNICODE } },
          { case: "leftClick", value: { coordinate: inField(layout.c) } },
          { case: "type", value: { text: "junk" } },
          { case: "key", value: { text: "ctrl+a" } },
          { case: "key", value: { text: "BackSpace" } },
          { case: "type", value: { text: "kept ✓" } },
          { case: "doubleClick", value: { coordinate: layout.words.beta } },
          { case: "type", value: { text: "délta" } },
          { case: "key", value: { text: "Return" } },
        ];
        const submitted = form.submitted();
        for (const action of steps) await t.grpc.action({ action });
        const got = await within(submitted, 15_000, "submission").catch((err: Error) => ({ error: err.message }));
        const log = form.events.filter((e) => e.type !== "keydown").map((e) => `${e.t} ${e.type} ${e.id} ${e.value ?? ""}`);
        assert.deepEqual(got, { a: UNICODE, b: "alpha délta gamma", c: "kept ✓" }, `what the page saw:\n${log.join("\n")}`);
      });
    });
  }

  it("type with paste: long exotic text lands whole through the clipboard, and the previous clipboard comes back", async () => {
    await withFirefox(form, async (t, layout) => {
      const long = Array.from({ length: 300 }, (_, i) => ["naïve", "日本語", "😀", "καλημέρα", "עברית"][i % 5]).join(" ");
      await t.grpc.setClipboard({ text: "what was there before" });
      const submitted = form.submitted();
      await t.grpc.action({ action: { case: "leftClick", value: { coordinate: { x: layout.a.x + 20, y: layout.a.y + 10 } } } });
      await t.grpc.action({ action: { case: "type", value: { text: long, paste: true } } });
      await t.grpc.action({ action: { case: "key", value: { text: "Return" } } });
      const got = (await within(submitted, 15_000, "submission")) as Record<string, string>;
      assert.equal(got.a, long);
      assert.equal((await t.grpc.getClipboard({})).text, "what was there before");
    });
  });

  it("Firefox's blinking caret does not keep the page from settling", async () => {
    await withFirefox(form, async (t, layout) => {
      const res = await t.grpc.action({
        action: { case: "leftClick", value: { coordinate: { x: layout.a.x + 20, y: layout.a.y + 10 } } },
        settle: { quietMs: 300, timeoutMs: 5000 },
      });
      assert.equal(res.settle?.settled, true, `waited ${res.settle?.waitedMs} ms`);
      assert.ok((res.settle?.waitedMs ?? 0) < 2500, `waited ${res.settle?.waitedMs} ms`);
    });
  });
});
