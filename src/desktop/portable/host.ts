/**
 * The PortableDesktop backend: sessions of the `portabledesktop` CLI,
 * launched and stopped by the host's rules (src/desktop/session-host.ts).
 * Each session gets a state file of its own in this instance's private
 * directory, noted with the `down` that stops it, so the next start stops a
 * session an instance killed without cleaning up left behind
 * (src/os/instance-dir.ts). A session is lost when its Xvnc exits (looked at
 * between calls) or its joined X connection goes, and replaced without
 * waiting for a call once its CLI or X server stalled for `--replace-after`.
 */
import { join } from "node:path";
import { systemClock } from "../../os/clock.js";
import { withDefaults } from "../../os/defaults.js";
import { InstanceDir } from "../../os/instance-dir.js";
import { alive, signalProcess } from "../../os/process.js";
import { DesktopApps } from "../apps.js";
import { watchFrames } from "../frame-watch.js";
import { type SessionEvents, SessionHost } from "../session-host.js";
import { StallWatch } from "../stall.js";
import { X11Session } from "../x11/x11-session.js";
import { PortableDesktopCli } from "./cli.js";
import { CliInput } from "./cli-input.js";
import { SessionCommands } from "./commands.js";
import { PortableDriver } from "./driver.js";
import { DEFAULTS, type PortableOptions, REPLACED_DOWN_TIMEOUT_MS } from "./options.js";
import { deadWhy, parseUp, type UpOutput } from "./up.js";

export { DEFAULTS, type PortableOptions } from "./options.js";

export type PortableHost = SessionHost<PortableDriver>;

export function portableHost(options: PortableOptions): PortableHost {
  const opts = withDefaults(DEFAULTS, options);
  const clock = opts.clock ?? systemClock;
  const log = opts.logger;
  let dir: Promise<InstanceDir> | undefined;
  let launches = 0;

  const down = (cli: PortableDesktopCli, timeoutMs: number) =>
    cli.run(["down"], [], { timeoutMs }).catch((err: Error) => log.warn({ err: err.message }, "portabledesktop down failed"));

  const launch = async (events: SessionEvents): Promise<PortableDriver> => {
    dir ??= InstanceDir.create(opts.runtimeParent, "portabledesktop");
    const d = await dir;
    const stateFile = join(d.path, `session-${++launches}.json`);
    // If this instance dies, the next one stops the session it left.
    await d.recordCleanup([opts.binary, "down", "--state-file", stateFile], { PORTABLEDESKTOP_STATE_FILE: stateFile });
    const cli = new PortableDesktopCli({
      binary: opts.binary,
      stateFile,
      env: opts.env,
      logger: log,
      timeoutMs: opts.limits.requestTimeoutMs,
    });
    const { width, height } = opts.geometry;
    const out = await cli.json<UpOutput>(["up", "--json", "--geometry", `${width}x${height}`], { timeoutMs: opts.upTimeoutMs });
    let up: ReturnType<typeof parseUp>;
    try {
      up = parseUp(out);
    } catch (err) {
      await down(cli, REPLACED_DOWN_TIMEOUT_MS);
      throw err;
    }
    for (const pid of up.pids) await d.recordPid(pid);
    const x11 = await X11Session.join({
      display: up.display,
      cookie: "",
      part: `the portabledesktop session's X server (${up.display})`,
      requestTimeoutMs: opts.limits.requestTimeoutMs,
      logger: log,
      clock,
    }).catch((err: Error) => `this portabledesktop session's X display cannot be joined (${((err.cause as Error) ?? err).message})`);
    const joined = typeof x11 === "string" ? undefined : x11;
    const stall = new StallWatch(clock);
    const cmd = new SessionCommands(cli, stall, joined?.x);
    const apps = new DesktopApps({ display: up.display, env: opts.env, logger: log, dir: d });
    for (const argv of opts.open) apps.spawn(argv);
    const useDamage = joined && opts.screenChanges === "auto";
    const changes = useDamage ? joined.changes : watchFrames((size) => cmd.screenshot({ size }), up.native, log, clock);
    log.info(
      { display: up.display, err: typeof x11 === "string" ? x11 : undefined },
      useDamage ? "screen changes: X DAMAGE on the session's display" : "screen changes: comparing frames",
    );
    const driver = new PortableDriver(up, cmd, x11, changes, apps, stall, new CliInput(cmd, opts.limits.requestTimeoutMs), log);
    joined?.onLost(events.lost);
    if (joined) joined.heartbeat(stall, opts.limits.replaceAfterMs, events.replace);
    // Notices a dead desktop between calls, and replaces one whose commands kept timing out.
    driver.watch = setInterval(() => {
      const why = deadWhy(up);
      if (why) events.lost(why);
      else if (stall.stalledForMs >= opts.limits.replaceAfterMs)
        events.replace(`unresponsive for ${Math.round(stall.stalledForMs / 1000)} s: ${stall.stalled}`);
    }, opts.watchIntervalMs).unref();
    log.info(
      { display: up.display, vncPort: up.vncPort, pids: up.pids, native: `${up.native.width}x${up.native.height}` },
      "portabledesktop session started",
    );
    return driver;
  };

  return new SessionHost(
    "portabledesktop",
    {
      launch,
      // `down`, then whatever it left behind goes too, and the apps we started.
      stop: async (s, why) => {
        clearInterval(s.watch);
        s.stall.stop();
        if (typeof s.x11 !== "string") await s.x11.close();
        await down(s.cmd.cli, why === "closed" ? opts.downTimeoutMs : REPLACED_DOWN_TIMEOUT_MS);
        for (const pid of s.up.pids.filter(alive)) signalProcess(pid, "SIGKILL");
        await s.apps.stop(0);
        log.info({ display: s.up.display, why }, "portabledesktop session stopped");
      },
      probe: (s) => deadWhy(s.up),
      describe: (s) => ({ display: s.up.display }),
      dispose: async () => {
        await (await dir)?.remove();
      },
    },
    { logger: log, inputOrder: opts.inputOrder },
  );
}
