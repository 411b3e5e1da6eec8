/**
 * `npm run soak`: the service under sustained load for SOAK_MINUTES (10 by
 * default): 50 clients sending Actions back to back (moves, clicks, keys,
 * typing), 8 Vnc streams asking for framebuffer updates as a viewer does, 2 Screenshot
 * streams. Every SOAK_SAMPLE_S seconds (30) it prints the window's Actions,
 * errors, Action latency p50/p99, the service's RSS and its event-loop delay,
 * so a leak or a slowdown shows as a trend. Not a test, not in CI: it prints.
 */
import { setMaxListeners } from "node:events";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ActionRequestSchema, VncRequestSchema } from "../gen/desktop/v1/desktop_pb.js";
import { createDesktopClient } from "../src/client/client.js";
import { startService } from "./start-service.js";

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const SAMPLE_S = Number(process.env.SOAK_SAMPLE_S ?? 30);
const CLIENTS = 50;
const VNC_STREAMS = 8;
const SCREENSHOT_STREAMS = 2;

const ACTIONS = [
  (i: number) => ({ case: "mouseMove" as const, value: { coordinate: { x: (i * 37) % 1900, y: (i * 53) % 1060 } } }),
  (i: number) => ({ case: "leftClick" as const, value: { coordinate: { x: 10 + (i % 50), y: 1070 } } }),
  () => ({ case: "key" as const, value: { text: "shift" } }),
  () => ({ case: "type" as const, value: { text: "soak" } }),
  () => ({ case: "cursorPosition" as const, value: {} }),
];

const { service, ep, next } = await startService();
const client = createDesktopClient({ baseUrl: ep.url, token: ep.token });
const stop = new AbortController();
// Every call in flight listens on it.
setMaxListeners(0, stop.signal);
let latencies: number[] = [];
let errors = new Map<string, number>();
let total = 0;
let vncBytes = 0;

async function actionLoop(n: number): Promise<void> {
  for (let i = n; !stop.signal.aborted; i += CLIENTS) {
    const started = performance.now();
    try {
      await client.action(create(ActionRequestSchema, { action: ACTIONS[i % ACTIONS.length](i) }), { signal: stop.signal });
      latencies.push(performance.now() - started);
    } catch (e) {
      if (stop.signal.aborted) return;
      const code = Code[ConnectError.from(e).code];
      errors.set(code, (errors.get(code) ?? 0) + 1);
    }
    total++;
  }
}

/**
 * One Vnc stream as a viewer uses it, bytes read and dropped (no parsing: the
 * load is the relay): the RFB 3.8 handshake sent blind (None security, shared),
 * then an incremental FramebufferUpdateRequest every 100 ms and a full one
 * every 2 s.
 */
async function vncLoop(): Promise<void> {
  const request = (incremental: boolean) => Buffer.from([3, incremental ? 1 : 0, 0, 0, 0, 0, 1920 >> 8, 1920 & 255, 1080 >> 8, 1080 & 255]);
  async function* requests() {
    yield create(VncRequestSchema, { data: Buffer.concat([Buffer.from("RFB 003.008\n"), Buffer.from([1, 1])]) });
    for (let i = 0; !stop.signal.aborted; i++) {
      yield create(VncRequestSchema, { data: request(i % 20 !== 0) });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    for await (const res of client.vnc(requests(), { signal: stop.signal })) vncBytes += res.data.length;
  } catch {
    // ended by the stop
  }
}

async function screenshotLoop(): Promise<void> {
  try {
    for await (const _ of client.screenshot({ maxFps: 10, scaledSize: { width: 640, height: 360 } }, { signal: stop.signal })) {
      // frames are only drained
    }
  } catch {
    // ended by the stop
  }
}

const pct = (xs: number[], p: number) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(xs.length * p))] : Number.NaN);
const loads = [
  ...Array.from({ length: CLIENTS }, (_, i) => actionLoop(i)),
  ...Array.from({ length: VNC_STREAMS }, () => vncLoop()),
  ...Array.from({ length: SCREENSHOT_STREAMS }, () => screenshotLoop()),
];
console.log(`soak: ${MINUTES} min, ${CLIENTS} Action clients, ${VNC_STREAMS} Vnc streams, ${SCREENSHOT_STREAMS} Screenshot streams`);
console.log("  t (s)  actions  errors   p50 ms   p99 ms   RSS MiB  loop p99 ms  loop max ms  Vnc MiB");
const started = Date.now();
const end = started + MINUTES * 60_000;
while (Date.now() < end) {
  await new Promise((r) => setTimeout(r, Math.min(SAMPLE_S * 1000, end - Date.now())));
  const window = latencies.sort((a, b) => a - b);
  latencies = [];
  const errs = [...errors.values()].reduce((a, b) => a + b, 0);
  const errText = errs ? ` ${JSON.stringify(Object.fromEntries(errors))}` : "";
  errors = new Map();
  service.send("memory");
  const mem = await next<{ rss: number }>("memory");
  service.send("loop");
  const loop = await next<{ p99: number; max: number }>("loop");
  const cols = [
    Math.round((Date.now() - started) / 1000),
    window.length,
    errs,
    pct(window, 0.5).toFixed(1),
    pct(window, 0.99).toFixed(1),
    (mem.rss / 2 ** 20).toFixed(0),
    loop.p99.toFixed(1),
    loop.max.toFixed(1),
    (vncBytes / 2 ** 20).toFixed(0),
  ];
  vncBytes = 0;
  console.log(cols.map((c, i) => String(c).padStart(i === 0 ? 7 : 9)).join("") + errText);
}
stop.abort();
await Promise.allSettled(loads);
console.log(`soak: ${total} Actions in all`);
service.send("stop");
await service;
