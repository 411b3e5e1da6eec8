/**
 * `npm run bench:memory`: what a desktop costs in memory, and whether the
 * service's RSS stays flat under work. Runs the built service as a user does
 * (`dist/src/cli/main.js serve`: the executable, whose first line sets glibc's
 * mmap threshold and V8's semi-space; built-in backend, no tsx) and, beside
 * it, the same file under plain `node` (the alternative), then drives
 * MEMORY_ACTIONS mixed Actions (200,000: moves, clicks, keys, typing, cursor
 * reads) from 4 clients with a Screenshot after every 20th (10,000: PNG and
 * JPEG, native and 1280x720), and prints the RSS of the service, Xvnc and
 * openbox idle, every 10 % of the way, and after. MEMORY_KINDS picks
 * ("desktopd", "plain", or both by default); MEMORY_NODE_FLAGS adds node flags
 * to the plain run (V8 settings compared). With MEMORY_SNAPSHOTS=1 the
 * plain run writes V8 heap snapshots (SIGUSR2) at the start and at the end, in
 * the current directory, to open in Chrome DevTools or compare with
 * bench/heap-diff.ts. Not a test: it prints.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { ImageFormat } from "../gen/desktop/v1/desktop_pb.js";
import { createDesktopClient } from "../src/client/client.js";
import { stderrMatch } from "../test/helpers/process.js";
import { children, rss } from "./processes.js";

const ACTIONS = Number(process.env.MEMORY_ACTIONS ?? 200_000);
const SHOT_EVERY = 20;
const CLIENTS = 4;
const SNAPSHOTS = process.env.MEMORY_SNAPSHOTS === "1";
/** Extra node flags for the plain run (to compare V8 settings), e.g. "--max-semi-space-size=1". */
const NODE_FLAGS = (process.env.MEMORY_NODE_FLAGS ?? "").split(" ").filter(Boolean);
const KINDS = (process.env.MEMORY_KINDS ?? "desktopd plain").split(" ").filter(Boolean) as Kind[];
type Kind = "desktopd" | "plain";

const MiB = 2 ** 20;
const root = fileURLToPath(new URL("..", import.meta.url));

// Pointer and keyboard Actions in runs of BLOCK: a switch between them waits
// for the application to catch up (docs/settle-and-input-order.md).
const BLOCK = 200;
const pointer = [
  (i: number) => ({ case: "mouseMove" as const, value: { coordinate: { x: (i * 37) % 1900, y: (i * 53) % 1060 } } }),
  (i: number) => ({ case: "leftClick" as const, value: { coordinate: { x: 10 + (i % 50), y: 1070 } } }),
  () => ({ case: "cursorPosition" as const, value: {} }),
];
const keyboard = [() => ({ case: "key" as const, value: { text: "shift" } }), () => ({ case: "type" as const, value: { text: "memory" } })];
const mixed = (i: number) => {
  const kind = Math.floor(i / BLOCK) % 2 === 0 ? pointer : keyboard;
  return kind[i % kind.length](i);
};
const shots = [
  { format: ImageFormat.PNG },
  { format: ImageFormat.JPEG },
  { format: ImageFormat.PNG, scaledSize: { width: 1280, height: 720 } },
  { format: ImageFormat.JPEG, scaledSize: { width: 1280, height: 720 } },
];

/** One service under the load; prints its table. */
async function measure(kind: Kind): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), "desktopd-memory-"));
  const token = randomBytes(16).toString("hex");
  const main = join(root, "dist/src/cli/main.js");
  const snapshots = SNAPSHOTS ? ["--heapsnapshot-signal=SIGUSR2"] : [];
  const [file, args] = kind === "desktopd" ? [main, ["serve"]] : ["node", [...NODE_FLAGS, ...snapshots, main, "serve"]];
  const serve = execa(file, args, {
    env: { HOME: home, DESKTOPD_TOKEN: token, DESKTOPD_LISTEN: "127.0.0.1:0", DESKTOPD_BACKEND: "builtin", DESKTOPD_LOG_LEVEL: "warn" },
    stderr: "pipe",
    stdout: "ignore",
    reject: false,
  });
  const [, url] = await stderrMatch(serve, serve, /serving on (http:\/\/\S+?);/);
  const pid = serve.pid!;
  const client = createDesktopClient({ baseUrl: url, token });
  const rows: string[][] = [];
  const sample = async (label: string) => {
    const kids = await children(pid);
    const [svc, xvnc, wm] = await Promise.all([rss(pid), rss(kids.get("Xvnc") ?? 0), rss(kids.get("openbox") ?? 0)]);
    rows.push([label, (svc / MiB).toFixed(0), (xvnc / MiB).toFixed(0), (wm / MiB).toFixed(0), ((svc + xvnc + wm) / MiB).toFixed(0)]);
  };
  const snapshot = async () => {
    // The executable takes no node flags: without --heapsnapshot-signal, SIGUSR2 would end it.
    if (!SNAPSHOTS || kind === "desktopd") return;
    process.kill(pid, "SIGUSR2");
    await new Promise((r) => setTimeout(r, 5000));
  };

  await client.getDisplay({});
  await new Promise((r) => setTimeout(r, 2000));
  await sample("idle, desktop up");
  await snapshot();
  let next = 0;
  let shotsTaken = 0;
  const step = Math.max(1, Math.floor(ACTIONS / 10));
  let reported = step;
  const worker = async () => {
    for (let i = next++; i < ACTIONS; i = next++) {
      await client.action({ action: mixed(i) });
      if (i % SHOT_EVERY === 0) {
        for await (const _ of client.screenshot(shots[(i / SHOT_EVERY) % shots.length])) break;
        shotsTaken++;
      }
      if (i + 1 >= reported) {
        reported += step;
        await sample(`${(i + 1).toLocaleString("en")} Actions, ${shotsTaken.toLocaleString("en")} screenshots`);
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, worker));
  const seconds = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 10_000));
  await sample("10 s after");
  await snapshot();
  serve.kill("SIGTERM");
  await serve;
  await rm(home, { recursive: true, force: true });

  const how =
    kind === "desktopd" ? "dist/src/cli/main.js serve" : `node ${NODE_FLAGS.join(" ")} dist/src/cli/main.js serve`.replace("  ", " ");
  console.log(
    `\n${how}: ${ACTIONS.toLocaleString("en")} Actions + ${shotsTaken.toLocaleString("en")} screenshots in ${seconds.toFixed(0)} s, RSS in MiB\n`,
  );
  console.log(`${"when".padEnd(40)}${"service".padStart(8)}${"Xvnc".padStart(6)}${"openbox".padStart(8)}${"all".padStart(6)}`);
  for (const [label, ...v] of rows)
    console.log(`${label.padEnd(40)}${v[0].padStart(8)}${v[1].padStart(6)}${v[2].padStart(8)}${v[3].padStart(6)}`);
}

async function main(): Promise<void> {
  for (const kind of KINDS) await measure(kind);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
