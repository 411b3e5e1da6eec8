/**
 * The agent-turn part of `npm run bench`: one turn of 5 actions on a real
 * Firefox ESR page (the specs' form: click a field, select all, type, click
 * another field, type), three ways, in the same run:
 *
 *   batch    one ActionBatch of the 5, one settle (quiet 100 ms) and one
 *            1280x720 JPEG after the last
 *   unary    5 Actions, each settling and answering with its own JPEG (the
 *            one-call-per-tool-use loop)
 *   OSWorld  each action, a 2 s sleep, a Screenshot (OSWorld's pattern)
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type BatchedActionSchema, ImageFormat } from "../gen/desktop/v1/desktop_pb.js";
import type { DesktopClient } from "../src/client/client.js";
import { launchFirefox, startFormServer } from "../test/helpers/firefox.js";

const SIZE = { width: 1280, height: 720 };
const JPEG = { format: ImageFormat.JPEG };

export interface AgentTurnOptions {
  client: DesktopClient;
  display: string;
  xauthority: string;
  timeIt(n: number, fn: (i: number) => Promise<unknown>, warmup?: number): Promise<{ p50: number; p95: number }>;
}

export async function agentTurnBench(o: AgentTurnOptions): Promise<string[]> {
  const form = await startFormServer();
  const firefox = await launchFirefox(form.url, { display: o.display, xauthority: o.xauthority });
  try {
    const layout = await form.ready();
    // The page reports native pixels; the model works in 1280x720.
    const declared = (r: { x: number; y: number; width: number; height: number }) => ({
      x: Math.round(((r.x + r.width / 2) * SIZE.width) / 1920),
      y: Math.round(((r.y + r.height / 2) * SIZE.height) / 1080),
    });
    const turn: MessageInitShape<typeof BatchedActionSchema>[] = [
      { action: { case: "leftClick", value: { coordinate: declared(layout.a) } } },
      { action: { case: "key", value: { text: "ctrl+a" } } },
      { action: { case: "type", value: { text: "hello" } } },
      { action: { case: "leftClick", value: { coordinate: declared(layout.c) } } },
      { action: { case: "type", value: { text: "world" } } },
    ];
    const batch = await o.timeIt(10, () =>
      o.client.actionBatch({ scaledSize: SIZE, actions: turn, settle: { quietMs: 100 }, captureAfter: JPEG }),
    );
    const unary = await o.timeIt(10, async () => {
      for (const a of turn) await o.client.action({ scaledSize: SIZE, action: a.action, settle: { quietMs: 100 }, captureAfter: JPEG });
    });
    const osworld = await o.timeIt(
      2,
      async () => {
        for (const a of turn) {
          await o.client.action({ scaledSize: SIZE, action: a.action });
          await sleep(2000);
          for await (const _ of o.client.screenshot({ scaledSize: SIZE, format: ImageFormat.JPEG })) break;
        }
      },
      0,
    );
    const row = (name: string, s: { p50: number; p95: number }) =>
      `${name.padEnd(46)}${s.p50.toFixed(0).padStart(7)}${s.p95.toFixed(0).padStart(7)}   ${(s.p50 / batch.p50).toFixed(1)}x`;
    return [
      `${"agent turn of 5 actions on a Firefox page, ms".padEnd(46)}${"p50".padStart(7)}${"p95".padStart(7)}   vs batch`,
      row("ActionBatch, one settle, one 1280x720 JPEG", batch),
      row("5 Actions, each settled with its JPEG", unary),
      row("OSWorld: each action, 2 s sleep, Screenshot", osworld),
    ];
  } finally {
    await firefox.close();
    await form.close();
  }
}
