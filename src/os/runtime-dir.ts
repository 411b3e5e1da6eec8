/**
 * The service's private runtime directory (recordings live under it): by
 * default $XDG_RUNTIME_DIR/desktopd, else <os tmpdir>/desktopd-<uid>
 * (`desktopd serve --runtime-dir` and DESKTOPD_RUNTIME_DIR choose another).
 * Created 0700. An existing one must be a real
 * directory owned by this user (a shared temp dir could hold someone else's
 * trap); it is set back to 0700 if its mode drifted.
 */
import { chmod, lstat, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The default runtime directory for `env` (XDG_RUNTIME_DIR). */
export function defaultRuntimeDir(env: Readonly<Record<string, string | undefined>>): string {
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, "desktopd");
  return join(tmpdir(), `desktopd-${process.getuid?.() ?? "user"}`);
}

/** Creates (0700) or checks `path`; throws when it is not a directory of this user. */
export async function serviceRuntimeDir(path: string): Promise<string> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  const st = await lstat(path);
  if (!st.isDirectory()) throw new Error(`runtime dir ${path} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid)
    throw new Error(`runtime dir ${path} belongs to uid ${st.uid}, not to this user (${uid}); set DESKTOPD_RUNTIME_DIR`);
  if ((st.mode & 0o777) !== 0o700) await chmod(path, 0o700);
  return path;
}
