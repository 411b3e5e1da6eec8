/**
 * The built-in backend: a desktop from Debian packages (Xvnc, openbox),
 * launched and stopped by the host's rules (src/desktop/session-host.ts).
 * Launch order: Xvnc, the joined display (src/desktop/x11/x11-session.ts),
 * openbox, then the `--open` apps once openbox has finished starting (so
 * they get managed and focused). The desktop is lost when Xvnc or either X
 * connection goes, and replaced without waiting for a call once Xvnc stalled
 * for `--replace-after`.
 */
import { systemClock } from "../../os/clock.js";
import { withDefaults } from "../../os/defaults.js";
import { desktopEnv } from "../../os/process.js";
import { type SessionEvents, SessionHost } from "../session-host.js";
import { StallWatch } from "../stall.js";
import { FrameReader } from "../x11/capture.js";
import { windowManagerReady } from "../x11/windows.js";
import { X11Session } from "../x11/x11-session.js";
import { XTest } from "../x11/xtest.js";
import { cleanInPlace } from "./clean.js";
import { BuiltinDriver } from "./driver.js";
import { type BuiltinOptions, DEFAULTS, REPLACE_GRACE_MS } from "./options.js";
import { XServer } from "./xserver.js";
import { XTestInput } from "./xtest-input.js";

export { type BuiltinOptions, DEFAULTS } from "./options.js";

export type BuiltinHost = SessionHost<BuiltinDriver>;

export function builtinHost(options: BuiltinOptions): BuiltinHost {
  const opts = withDefaults(DEFAULTS, options);
  const env = desktopEnv(opts.env);
  const clock = opts.clock ?? systemClock;
  const log = opts.logger;

  const launch = async (events: SessionEvents): Promise<BuiltinDriver> => {
    const server = await XServer.start({ geometry: opts.geometry, runtimeParent: opts.runtimeParent, env, logger: log });
    const part = `Xvnc (X display ${server.display})`;
    let driver: BuiltinDriver;
    try {
      const x11 = await X11Session.join({
        display: server.display,
        cookie: server.cookie,
        part,
        requestTimeoutMs: opts.limits.requestTimeoutMs,
        logger: log,
        clock,
      });
      try {
        const [xtest, reader] = await Promise.all([XTest.open(x11.x), FrameReader.open(x11.x, { shm: false })]);
        const stall = new StallWatch(clock);
        driver = new BuiltinDriver(server, x11, reader, new XTestInput(x11.x, xtest, clock), stall, {
          ffmpeg: opts.ffmpeg,
          env,
          logger: log,
        });
        log.info({ display: server.display, shm: x11.screen.usesShm, spareKeycodes: x11.x.keys.spareCount }, "X11 connected");
      } catch (err) {
        await x11.close();
        throw err;
      }
    } catch (err) {
      await server.stop(REPLACE_GRACE_MS);
      throw err;
    }
    const { x11, stall } = driver;
    x11.onLost(events.lost);
    x11.x.onProtocolError = (err) => log.warn({ display: server.display, err: err.message }, "X protocol error");
    void server.exited.then(() => events.lost("Xvnc exited"));
    // A stalled Xvnc fails calls at once (bounded requests); one stalled for long is replaced without waiting for a call.
    x11.heartbeat(stall, opts.limits.replaceAfterMs, (why) => events.replace(`Xvnc ${why}`));
    // A desktop without a window manager still works, so this only warns.
    const wmReady = await windowManagerReady(x11.x, opts.windowManagerTimeoutMs, server.windowManagerExited).catch((err: Error) => {
      log.debug({ err: err.message }, "waiting for the window manager failed");
      return false;
    });
    if (!wmReady) log.warn({ display: server.display }, "window manager (openbox) did not come up; going on without it");
    for (const argv of opts.open) server.apps.spawn(argv);
    log.info({ display: server.display, open: opts.open.map((a) => a.join(" ")) }, "desktop ready");
    return driver;
  };

  return new SessionHost(
    "builtin",
    {
      launch,
      // At close, lent keycodes are given back first, so a client still connected sees the original keymap.
      stop: async (d, why) => {
        d.stall.stop();
        await d.x11.close(why === "closed");
        await d.server.stop(why === "replaced" ? REPLACE_GRACE_MS : undefined);
      },
      clean: (d, whileStopped) => cleanInPlace(d, opts.open, opts.geometry, whileStopped),
      describe: (d) => ({ display: d.server.display }),
    },
    { logger: log, inputOrder: opts.inputOrder },
  );
}
