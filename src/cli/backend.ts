/**
 * Choosing and building the desktop backend for `desktopd serve`:
 *   builtin          the built-in desktop (Debian Xvnc + openbox, in-process X11)
 *   portabledesktop  the portabledesktop CLI; may download the pinned release
 *   auto (default)   portabledesktop when the binary resolves without a
 *                    download (explicit path, PATH or cache), builtin otherwise
 */
import type { Logger } from "pino";
import { BuiltinDesktop } from "../desktop/builtin/builtin.js";
import type { Desktop } from "../desktop/desktop.js";
import type { Size } from "../desktop/geometry.js";
import { type Release, resolvePortableDesktop, UnsupportedPlatformError } from "../desktop/portable/binary.js";
import { PortableDesktop } from "../desktop/portable/portable.js";

export interface BackendOptions {
  backend: string;
  geometry: Size;
  open: string[][];
  logger: Logger;
  /** --portabledesktop PATH */
  binary?: string;
  signal?: AbortSignal;
}

/**
 * Release overrides for mirrors and tests, from the environment:
 * DESKTOPD_PORTABLEDESKTOP_VERSION, _URL and _SHA256.
 */
export function releaseFromEnv(): Partial<Release> {
  const e = process.env;
  return {
    version: e.DESKTOPD_PORTABLEDESKTOP_VERSION || undefined,
    url: e.DESKTOPD_PORTABLEDESKTOP_URL || undefined,
    sha256: e.DESKTOPD_PORTABLEDESKTOP_SHA256 || undefined,
  };
}

export async function createBackend(o: BackendOptions): Promise<Desktop> {
  const builtin = () => new BuiltinDesktop({ geometry: o.geometry, open: o.open, logger: o.logger });
  const portable = (binary: string) => new PortableDesktop({ binary, geometry: o.geometry, open: o.open, logger: o.logger });
  switch (o.backend) {
    case "builtin":
      return builtin();
    case "portabledesktop": {
      const r = await resolvePortableDesktop({
        logger: o.logger,
        explicit: o.binary,
        release: releaseFromEnv(),
        download: true,
        signal: o.signal,
      });
      return portable(r!.path);
    }
    case "auto": {
      let r;
      try {
        r = await resolvePortableDesktop({ logger: o.logger, explicit: o.binary, release: releaseFromEnv(), download: false });
      } catch (err) {
        if (!(err instanceof UnsupportedPlatformError)) throw err;
      }
      o.logger.info({ backend: r ? "portabledesktop" : "builtin", binary: r?.path }, "backend chosen (auto)");
      return r ? portable(r.path) : builtin();
    }
    default:
      throw new Error(`--backend: expected auto, builtin or portabledesktop, got "${o.backend}"`);
  }
}
