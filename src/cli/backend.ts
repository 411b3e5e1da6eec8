/**
 * Choosing and building the desktop backend for `desktopd serve`:
 *   builtin          the built-in desktop (Debian Xvnc + openbox, in-process X11)
 *   portabledesktop  the portabledesktop CLI; may download the pinned release
 *   auto (default)   portabledesktop when the binary resolves without a
 *                    download (explicit path, PATH or cache), builtin otherwise
 */
import type { Logger } from "pino";
import { builtinHost } from "../desktop/builtin/host.js";
import type { DesktopHost } from "../desktop/desktop.js";
import type { Size } from "../desktop/geometry.js";
import { type Release, resolvePortableDesktop, UnsupportedPlatformError } from "../desktop/portable/binary.js";
import { portableHost } from "../desktop/portable/host.js";
import type { StallLimits } from "../desktop/stall.js";
import type { Env } from "./command.js";

export interface BackendOptions {
  backend: "auto" | "builtin" | "portabledesktop";
  geometry: Size;
  open: string[][];
  /** --portabledesktop PATH */
  portabledesktop?: string;
  /** Overrides of the release to download. */
  release: Partial<Release>;
  /** The environment: PATH and XDG_CACHE_HOME to find the binary; the desktop's processes inherit it (without DESKTOPD_*). */
  env: Env;
  /** The service runtime directory: each desktop keeps its private directory there. */
  runtimeDir?: string;
  /** Time limits for a desktop that stops answering. */
  limits?: StallLimits;
  logger: Logger;
  signal?: AbortSignal;
}

export async function createBackend(opts: BackendOptions): Promise<DesktopHost> {
  const { geometry, open, logger, release, env, runtimeDir: runtimeParent, limits } = opts;
  const resolve = (download: boolean) =>
    resolvePortableDesktop({ logger, explicit: opts.portabledesktop, release, download, env, signal: opts.signal });
  const portable = (binary: string) => portableHost({ binary, geometry, open, env, runtimeParent, limits, logger });
  const builtin = () => builtinHost({ geometry, open, env, runtimeParent, limits, logger });
  switch (opts.backend) {
    case "builtin":
      return builtin();
    case "portabledesktop": {
      const r = await resolve(true);
      if (!r) throw new Error("portabledesktop: the binary did not resolve");
      return portable(r.path);
    }
    case "auto": {
      const r = await resolve(false).catch((err) => {
        if (err instanceof UnsupportedPlatformError) return undefined;
        throw err;
      });
      logger.info({ backend: r ? "portabledesktop" : "builtin", binary: r?.path }, "backend chosen (auto)");
      return r ? portable(r.path) : builtin();
    }
  }
}
