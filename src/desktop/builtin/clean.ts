/**
 * An in-place Reset of a built-in desktop (SessionLauncher.clean): the same
 * Xvnc and openbox, made fresh for the next task in a fraction of a new
 * server's start. Every program the desktop started but openbox is stopped
 * (process groups: SIGTERM, SIGKILL after REPLACE_GRACE_MS), then the display
 * is cleaned (src/desktop/x11/clean-display.ts: other X clients
 * disconnected, selections emptied, keys and buttons released, locks off,
 * keymap put back, pointer centred), `whileStopped` runs (the file root is
 * emptied once no client of the last task is left) and the `--open` apps
 * start again. A screen no longer at the configured size, or a client that
 * cannot be disconnected, fails the clean: the host then starts a new
 * desktop.
 */

import type { ResetPart } from "../desktop.js";
import type { Size } from "../geometry.js";
import type { BuiltinDriver } from "./driver.js";
import { REPLACE_GRACE_MS } from "./options.js";

export async function cleanInPlace(
  d: BuiltinDriver,
  open: string[][],
  geometry: Size,
  whileStopped: () => Promise<void>,
): Promise<{ before: ResetPart[]; after: ResetPart[] }> {
  const { x } = d.x11;
  const root = await x.call<{ width: number; height: number }>((X, cb) => X.GetGeometry(x.root, cb));
  if (root.width !== geometry.width || root.height !== geometry.height) {
    throw new Error(`the screen is ${root.width}x${root.height}, not ${geometry.width}x${geometry.height}`);
  }
  const wm = d.server.windowManagerPid;
  let t = performance.now();
  const lap = () => {
    const now = performance.now();
    const ms = now - t;
    t = now;
    return ms;
  };
  const stopped = await d.server.apps.stopAllBut(wm, REPLACE_GRACE_MS);
  const before = [{ name: "stop programs", ms: lap(), detail: `${stopped} stopped; the X server and window manager kept` }];
  const r = await d.x11.clean(d.input.xtest, wm === undefined ? [] : [wm]);
  before.push({
    name: "clean display",
    ms: lap(),
    detail: `${r.clients} X clients disconnected, ${r.released} keys and buttons released, keymap ${r.keymap ? "restored" : "unchanged"}, selections emptied, pointer centred`,
  });
  await whileStopped();
  lap();
  for (const argv of open) d.server.apps.spawn(argv);
  return { before, after: [{ name: "start apps", ms: lap(), detail: `${open.length} --open apps started` }] };
}
