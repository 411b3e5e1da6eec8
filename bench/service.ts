/**
 * The service under benchmark, in its own process (as in production), so the
 * benchmark client's work never shares its event loop. Started by bench.ts
 * over IPC: sends { url, token, display, cookie (hex), xauthority, vncSocket } once the
 * desktop is up; answers "memory" with its rss and heap, "cpu" with its CPU
 * time, "loop" with its event-loop delay since the last ask; stops on "stop".
 * Argument "portabledesktop": the PortableDesktop backend through the stand-in
 * CLI (test/fixtures) instead of the built-in one.
 */

import { monitorEventLoopDelay } from "node:perf_hooks";
import type { SessionDriver } from "../src/desktop/session.js";
import { startPortableServer, startTestServer, type TestServer } from "../test/helpers/server.js";

const send = (msg: unknown) => process.send?.(msg);
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

const portable = process.argv[2] === "portabledesktop";
const t: TestServer<SessionDriver> = portable ? await startPortableServer() : await startTestServer();
const ep = portable ? { display: t.x11().display, cookie: "", xauthority: "" } : (t as TestServer).driver().endpoint;
process.on("message", (msg) => {
  if (msg === "memory") {
    const m = process.memoryUsage();
    send({ memory: m });
  } else if (msg === "cpu") {
    const u = process.cpuUsage();
    send({ cpu: (u.user + u.system) / 1000 });
  } else if (msg === "loop") {
    // Event-loop delay since the last "loop", ms.
    send({ loop: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 } });
    loop.reset();
  } else if (msg === "stop") {
    void t.close().then(() => process.exit(0));
  }
});
send({
  ready: {
    url: t.url,
    token: t.token,
    display: ep.display,
    cookie: Buffer.from(ep.cookie, "latin1").toString("hex"),
    xauthority: ep.xauthority,
    vncSocket: portable ? "" : (t as TestServer).driver().server.vncSocket,
  },
});
