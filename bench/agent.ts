/**
 * The agent-step part of `npm run bench`: what an agent loop pays per step on
 * the built-in backend, side by side with the fixed-sleep and the
 * spawn-per-action ways, and what watching a still screen costs.
 *
 *   agent step   a left_click on an application that redraws at once, then a
 *                settled 1280x720 JPEG, in one Action (settle quiet 100 ms)
 *   fixed sleep  the same click, a 2 s sleep, then a Screenshot (what
 *                Anthropic's reference tool does after every action)
 *   spawn        xdotool click, a 2 s sleep, ffmpeg x11grab JPEG
 *   idle stream  CPU of the service while a 30 fps stream watches a still
 *                screen (DAMAGE: nothing captured), beside all_frames
 *                (captured every interval)
 *   change->frame time from a window repainting to its frame arriving, 30 fps
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ImageFormat } from "../gen/desktop/v1/desktop_pb.js";
import type { DesktopClient } from "../src/client/client.js";
import { TestWindows } from "../test/helpers/xwindow.js";

export interface AgentBenchOptions {
  client: DesktopClient;
  display: string;
  cookie: string;
  /** The service process's CPU time so far, ms. */
  cpu(): Promise<number>;
  xdotoolClick(x: number, y: number): Promise<unknown>;
  ffmpegJpeg720(): Promise<unknown>;
  timeIt(n: number, fn: (i: number) => Promise<unknown>, warmup?: number): Promise<{ p50: number; p95: number }>;
}

const SIZE = { width: 1280, height: 720 };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))];

export async function agentBench(o: AgentBenchOptions): Promise<string[]> {
  const w = await TestWindows.open(o.display, o.cookie);
  const lines: string[] = [];
  try {
    // An application: a full-screen window that repaints a panel on every click.
    const screen = await w.window(0, 0, 1920, 1080, 0x202020, { record: true });
    const panel = await w.window(600, 300, 600, 400, 0x000080);
    let toggle = 0;
    w.onEvent = (e) => {
      if (e.type === "ButtonPress") void w.recolor(panel, toggle++ % 2 ? 0x000080 : 0x008000);
    };
    const click = (i: number) => ({ case: "leftClick" as const, value: { coordinate: { x: 100 + (i % 50), y: 100 } } });
    const agent = await o.timeIt(
      20,
      (i) => o.client.action({ scaledSize: SIZE, action: click(i), settle: { quietMs: 100 }, captureAfter: { format: ImageFormat.JPEG } }),
      5,
    );
    const fixed = await o.timeIt(
      5,
      async (i) => {
        await o.client.action({ scaledSize: SIZE, action: click(i) });
        await sleep(2000);
        for await (const _ of o.client.screenshot({ scaledSize: SIZE, format: ImageFormat.JPEG })) break;
      },
      1,
    );
    const spawn = await o.timeIt(
      5,
      async (i) => {
        await o.xdotoolClick(150 + (i % 50), 100);
        await sleep(2000);
        await o.ffmpegJpeg720();
      },
      1,
    );
    const row = (name: string, s: { p50: number; p95: number }) =>
      `${name.padEnd(38)}${s.p50.toFixed(0).padStart(7)}${s.p95.toFixed(0).padStart(7)}   ${(s.p50 / agent.p50).toFixed(1)}x`;
    lines.push(`${"agent step (click + settled 1280x720 JPEG)".padEnd(38)}${"p50".padStart(7)}${"p95".padStart(7)}   vs agent step`);
    lines.push(row("desktopd: one Action, settle 100 ms", agent));
    lines.push(row("desktopd: click, sleep 2 s, Screenshot", fixed));
    lines.push(row("spawn: xdotool, sleep 2 s, ffmpeg", spawn));
    w.onEvent = undefined;
    w.destroy(panel);
    w.destroy(screen);
    await w.sync();

    // Watching a still screen for 5 s, then the same with all_frames.
    const idle = async (allFrames: boolean) => {
      const ac = new AbortController();
      const stream = (async () => {
        for await (const _ of o.client.screenshot(
          { maxFps: 30, allFrames, scaledSize: SIZE, format: ImageFormat.JPEG },
          { signal: ac.signal },
        ));
      })().catch(() => undefined);
      await sleep(1000);
      const cpu0 = await o.cpu();
      const t0 = performance.now();
      await sleep(5000);
      const share = (await o.cpu()) - cpu0;
      const ms = performance.now() - t0;
      ac.abort();
      await stream;
      return (100 * share) / ms;
    };
    const still = await idle(false);
    const every = await idle(true);
    lines.push("");
    lines.push(
      `idle stream, 30 fps, still screen: ${still.toFixed(2)} % of a core (all_frames: ${every.toFixed(1)} %, ${(every / Math.max(still, 0.01)).toFixed(0)}x)`,
    );

    // Time from a repaint to its frame arriving (30 fps stream).
    const win = await w.window(1700, 900, 100, 100, 0x101010);
    const gaps: number[] = [];
    let changedAt = 0;
    const ac = new AbortController();
    let n = 0;
    for await (const _ of o.client.screenshot({ maxFps: 30, scaledSize: SIZE, format: ImageFormat.JPEG }, { signal: ac.signal })) {
      if (n > 0) gaps.push(performance.now() - changedAt);
      if (++n > 20) break;
      await sleep(150);
      changedAt = performance.now();
      await w.recolor(win, (n * 0x0b1d2f) & 0xffffff);
    }
    ac.abort();
    lines.push(`change -> streamed frame (30 fps, 33 ms interval): p50 ${median(gaps).toFixed(0)} ms, p95 ${p95(gaps).toFixed(0)} ms`);
  } finally {
    w.close();
  }
  return lines;
}
