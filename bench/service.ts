/**
 * The service under benchmark, in its own process (as in production), so the
 * benchmark client's work never shares its event loop. Started by bench.ts
 * over IPC: sends { url, token, display, cookie (hex), xauthority } once the
 * desktop is up; answers "memory" with its rss and heap; stops on "stop".
 */
import { startTestServer } from "../test/helpers/server.js";

const send = (msg: unknown) => process.send?.(msg);

const t = await startTestServer();
const ep = t.desktop.x11Endpoint!;
process.on("message", (msg) => {
  if (msg === "memory") {
    const m = process.memoryUsage();
    send({ memory: { rss: m.rss, heapUsed: m.heapUsed } });
  } else if (msg === "stop") {
    void t.close().then(() => process.exit(0));
  }
});
send({ ready: { url: t.url, token: t.token, display: ep.display, cookie: Buffer.from(ep.cookie, "latin1").toString("hex"), xauthority: ep.xauthority } });
