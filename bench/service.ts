/**
 * The service under benchmark, in its own process (as in production), so the
 * benchmark client's work never shares its event loop. Started by bench.ts
 * over IPC: sends { url, token, display, cookie (hex), xauthority } once the
 * desktop is up; answers "memory" with its rss and heap; stops on "stop".
 * Argument "portabledesktop": the PortableDesktop backend through the stand-in
 * CLI (test/fixtures) instead of the built-in one.
 */

import type { Desktop } from "../src/desktop/desktop.js";
import { startPortableServer, startTestServer, type TestServer } from "../test/helpers/server.js";

const send = (msg: unknown) => process.send?.(msg);

const portable = process.argv[2] === "portabledesktop";
const t: TestServer<Desktop> = portable ? await startPortableServer() : await startTestServer();
const ep = portable ? { display: t.x11().display, cookie: "", xauthority: "" } : (t as TestServer).desktop.x11Endpoint!;
process.on("message", (msg) => {
  if (msg === "memory") {
    const m = process.memoryUsage();
    send({ memory: { rss: m.rss, heapUsed: m.heapUsed } });
  } else if (msg === "cpu") {
    const u = process.cpuUsage();
    send({ cpu: (u.user + u.system) / 1000 });
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
  },
});
