/**
 * Paths resolved beneath one directory, a component at a time, never through
 * a symlink, for the file root (src/files/file-root.ts).
 *
 * Each component is opened relative to the descriptor of the directory before
 * it, through `/proc/self/fd/N/<name>` (proc(5): the kernel resolves the
 * magic link to the open directory itself, not to a path), with O_NOFOLLOW.
 * A desktop program that swaps a directory of the root for a symlink to the
 * outside (renameat2 RENAME_EXCHANGE) between two steps makes the step fail;
 * no step ever leaves the directory it started from. That is what openat2(2)
 * with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS gives, which Node does not
 * expose. `..` never reaches this module (FileRoot refuses it).
 *
 * Nothing here blocks a libuv worker thread on a file a desktop program
 * controls: every open is O_NONBLOCK (opening a FIFO for reading returns at
 * once; without it, four such opens held all four worker threads), and every
 * operation gives up when the call's signal aborts. A descriptor is closed
 * only once no operation that names it through /proc is still in flight, so
 * a late operation can never land on a reused descriptor number.
 */
import { constants as C, type Stats } from "node:fs";
import { type FileHandle, lstat, mkdir, open, opendir, rename, unlink } from "node:fs/promises";
import {
  FailedPreconditionError,
  InvalidInputError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
} from "../desktop/errors.js";
import { abortable } from "../os/sleep.js";

const DIR_FLAGS = C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW | C.O_NONBLOCK;
const READ_FLAGS = C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK;
const CREATE_FLAGS = C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW | C.O_NONBLOCK;

/**
 * A file system error as the typed error the API maps to a code, naming
 * `shown` (the path as the client gave it): never a host path.
 */
export function fsError(err: unknown, shown: string): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case "ENOENT":
      return new NotFoundError(`${shown}: no such file or directory`);
    case "ELOOP":
      return new PermissionDeniedError(`${shown}: is a symlink; the file RPCs do not follow symlinks`);
    case "ENOTDIR":
      return new FailedPreconditionError(`${shown}: not a directory`);
    case "EISDIR":
      return new FailedPreconditionError(`${shown}: is a directory`);
    case "EEXIST":
    case "ENOTEMPTY":
      return new FailedPreconditionError(`${shown}: already exists`);
    case "ENXIO":
    case "ENODEV":
      return new FailedPreconditionError(`${shown}: not a regular file`);
    case "ENAMETOOLONG":
      return new InvalidInputError("path", `${shown}: a name is too long`);
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return new PermissionDeniedError(`${shown}: permission denied (${code})`);
    case "ENOSPC":
    case "EDQUOT":
    case "EFBIG":
      return new ResourceExhaustedError(`${shown}: no space left (${code})`);
    case "EMFILE":
    case "ENFILE":
      return new ResourceExhaustedError(`${shown}: too many open files (${code})`);
    default:
      if (err instanceof Error && !code) return err;
      return new Error(`${shown}: file system error ${code ?? String(err)}`);
  }
}

/** An open directory of the tree; see the module comment for when it really closes. */
export class Dir {
  private inFlight = 0;
  private closing = false;

  constructor(private readonly handle: FileHandle) {}

  /** The path that names `name` in this directory ("": the directory itself), for one operation run through `use`. */
  private at(name: string): string {
    return name === "" ? `/proc/self/fd/${this.handle.fd}` : `/proc/self/fd/${this.handle.fd}/${name}`;
  }

  /** Runs `op` on the path of `name` here, given up on when `signal` aborts; the descriptor stays open until `op` ends. */
  use<T>(name: string, op: (path: string) => Promise<T>, signal?: AbortSignal, dispose?: (late: T) => unknown): Promise<T> {
    if (this.closing) return Promise.reject(new Error("directory closed"));
    this.inFlight++;
    const run = op(this.at(name)).finally(() => {
      if (--this.inFlight === 0 && this.closing) void this.handle.close().catch(() => undefined);
    });
    return abortable(run, signal, dispose);
  }

  /** `name`'s lstat. */
  stat(name: string, signal?: AbortSignal): Promise<Stats> {
    return this.use(name, (p) => lstat(p), signal);
  }

  /** Subdirectory `name`, never through a symlink; created (0755) when `create` and missing. */
  async child(name: string, shown: string, opts: { create?: boolean; signal?: AbortSignal } = {}): Promise<Dir> {
    const openIt = () => this.use(name, (p) => open(p, DIR_FLAGS), opts.signal, closeLate);
    try {
      return new Dir(await openIt());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" && opts.create) {
        await this.use(name, (p) => mkdir(p, 0o755), opts.signal).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== "EEXIST") throw fsError(e, shown);
        });
        return new Dir(await openIt().catch((e) => Promise.reject(this.explain(e, name, shown))));
      }
      throw await this.explain(err, name, shown);
    }
  }

  /**
   * ENOTDIR from an O_DIRECTORY|O_NOFOLLOW open is also what a symlink gives:
   * a name that is a symlink now, or a directory again (swapped back
   * meanwhile), was refused as a symlink.
   */
  private async explain(err: unknown, name: string, shown: string): Promise<Error> {
    if ((err as NodeJS.ErrnoException).code === "ENOTDIR") {
      const s = await this.stat(name).catch(() => undefined);
      if (s && (s.isSymbolicLink() || s.isDirectory())) return fsError({ code: "ELOOP" }, shown);
    }
    return fsError(err, shown);
  }

  /** File `name` opened for reading, never through a symlink, never blocking (a FIFO opens at once). */
  openRead(name: string, shown: string, signal?: AbortSignal): Promise<FileHandle> {
    return this.use(name, (p) => open(p, READ_FLAGS), signal, closeLate).catch((err) => Promise.reject(fsError(err, shown)));
  }

  /** A new file `name` (it must not exist), write only, mode `mode`. */
  create(name: string, shown: string, mode: number, signal?: AbortSignal): Promise<FileHandle> {
    return this.use(name, (p) => open(p, CREATE_FLAGS, mode), signal, closeLate).catch((err) => Promise.reject(fsError(err, shown)));
  }

  /** Renames `from` to `to`, both in this directory (atomic; `to` is replaced, never followed). */
  rename(from: string, to: string, shown: string, signal?: AbortSignal): Promise<void> {
    return this.use(from, (p) => rename(p, this.at(to)), signal).catch((err) => Promise.reject(fsError(err, shown)));
  }

  /** Removes `name` (not followed); false when it was already gone. */
  remove(name: string): Promise<boolean> {
    return this.use(name, (p) => unlink(p)).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") return false;
        throw err;
      },
    );
  }

  /** The names in this directory, at most `max` (ResourceExhaustedError beyond), unsorted. */
  async names(shown: string, max: number, signal?: AbortSignal): Promise<string[]> {
    const dir = await this.use(
      "",
      (p) => opendir(p),
      signal,
      (d) => d.close().catch(() => undefined),
    );
    const out: string[] = [];
    try {
      for (;;) {
        const e = await abortable(dir.read(), signal);
        if (!e) return out;
        if (out.length === max) throw new ResourceExhaustedError(`${shown}: more than ${max} entries`);
        out.push(e.name);
      }
    } finally {
      await dir.close().catch(() => undefined);
    }
  }

  /** Closes the descriptor once nothing in flight names it. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    if (this.inFlight === 0) void this.handle.close().catch(() => undefined);
  }
}

const closeLate = (h: FileHandle) => h.close().catch(() => undefined);

/** Opens `root` (created when missing; a symlink given by the operator is followed here, once) as the base of every walk. */
export async function openRoot(root: string): Promise<Dir> {
  await mkdir(root, { recursive: true, mode: 0o755 });
  const handle = await open(root, C.O_RDONLY | C.O_DIRECTORY);
  try {
    await lstat(`/proc/self/fd/${handle.fd}/.`);
  } catch (err) {
    await handle.close();
    throw new Error(`the file RPCs need /proc (proc(5)) to resolve paths safely: ${(err as Error).message}`);
  }
  return new Dir(handle);
}
