/**
 * Files under one root directory, for the file RPCs. Paths are relative and
 * '/'-separated; they are checked before any file is touched, and every
 * existing directory on the way is resolved (realpath) and must stay under
 * the root, so a symlink cannot lead out of it.
 *
 * Errors: InvalidInputError (empty where a file is needed, absolute, `..`,
 * NUL), PermissionDeniedError (a symlink leads out of the root),
 * NotFoundError, FailedPreconditionError (a directory where a file is needed,
 * or the reverse), ResourceExhaustedError (over the per-file limit).
 *
 * Writes go to a 0600 temporary file in the target's directory, renamed over
 * the target once complete (rename(2) is atomic within a file system), so a
 * reader sees the old file or the whole new one, and a failed write leaves
 * nothing. Reads are of the file as opened: exactly the size it had then.
 */
import { randomBytes } from "node:crypto";
import { constants, type Stats } from "node:fs";
import { lstat, mkdir, open, readdir, realpath, rename, rm, stat } from "node:fs/promises";
import { join, sep } from "node:path";
import { FailedPreconditionError, InvalidInputError, NotFoundError, PermissionDeniedError, ResourceExhaustedError } from "../errors.js";

/** Largest chunk read or written at once, bytes. */
export const MAX_CHUNK_BYTES = 1024 * 1024;
/** Default largest file an upload may write, bytes. */
export const DEFAULT_MAX_FILE_BYTES = 1024 ** 3;

export type FileKind = "regular" | "directory" | "symlink" | "other";

export interface FileEntry {
  /** Relative to the root, '/'-separated. */
  path: string;
  /** Bytes. */
  size: number;
  /** Permission bits (st_mode & 0o7777). */
  mode: number;
  modified: Date;
  kind: FileKind;
}

const kindOf = (s: Stats): FileKind => (s.isFile() ? "regular" : s.isDirectory() ? "directory" : s.isSymbolicLink() ? "symlink" : "other");
const entry = (path: string, s: Stats): FileEntry => ({ path, size: s.size, mode: s.mode & 0o7777, modified: s.mtime, kind: kindOf(s) });

export class FileRoot {
  private rootReal?: Promise<string>;

  constructor(
    /** The root directory (created if missing). */
    readonly root: string,
    /** Largest file an upload may write, bytes. */
    readonly maxFileBytes = DEFAULT_MAX_FILE_BYTES,
  ) {}

  /** The path's components, checked (see the module comment); `field` names the request field in errors. */
  static parts(path: string, field: string, allowRoot = false): string[] {
    if (path.includes("\0")) throw new InvalidInputError(field, "must not contain NUL");
    if (path.startsWith("/")) throw new InvalidInputError(field, `must be relative to the file root, got "${path}"`);
    const parts = path.split("/").filter((p) => p !== "" && p !== ".");
    if (parts.includes("..")) throw new InvalidInputError(field, `must not contain "..", got "${path}"`);
    if (!allowRoot && parts.length === 0) throw new InvalidInputError(field, "is required (a file path under the file root)");
    return parts;
  }

  private real(): Promise<string> {
    this.rootReal ??= mkdir(this.root, { recursive: true, mode: 0o755 }).then(() => realpath(this.root));
    return this.rootReal;
  }

  /** `p` resolved, which must exist and lie under the root. */
  private async inside(p: string, shown: string): Promise<string> {
    const root = await this.real();
    let r: string;
    try {
      r = await realpath(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new NotFoundError(`${shown}: no such file or directory`);
      throw err;
    }
    if (r !== root && !r.startsWith(root + sep)) throw new PermissionDeniedError(`${shown}: leads out of the file root through a symlink`);
    return r;
  }

  /** Lists directory `path` ("" = the root), sorted by name; symlinks not followed. */
  async list(path: string, field = "path"): Promise<FileEntry[]> {
    const parts = FileRoot.parts(path, field, true);
    const dir = await this.inside(join(await this.real(), ...parts), path || ".");
    if (!(await stat(dir)).isDirectory()) throw new FailedPreconditionError(`${path}: not a directory`);
    const names = (await readdir(dir)).sort();
    const out: FileEntry[] = [];
    for (const name of names) {
      const s = await lstat(join(dir, name)).catch(() => undefined);
      if (s) out.push(entry([...parts, name].join("/"), s));
    }
    return out;
  }

  /**
   * Opens file `path` for reading: its entry (as opened) and its bytes,
   * exactly `size` of them, in chunks of at most MAX_CHUNK_BYTES. The caller
   * must `close()` it, read through or not.
   */
  async read(path: string, field = "path"): Promise<{ info: FileEntry; chunks(): AsyncGenerator<Buffer>; close(): Promise<void> }> {
    const parts = FileRoot.parts(path, field);
    const real = await this.inside(join(await this.real(), ...parts), path);
    const fd = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
    const s = await fd.stat().catch(async (err) => {
      await fd.close();
      throw err;
    });
    if (!s.isFile()) {
      await fd.close();
      throw new FailedPreconditionError(`${path}: not a regular file`);
    }
    return {
      info: entry(parts.join("/"), s),
      async *chunks() {
        for (let at = 0; at < s.size; ) {
          const want = Math.min(MAX_CHUNK_BYTES, s.size - at);
          const { bytesRead, buffer } = await fd.read(Buffer.allocUnsafe(want), 0, want, at);
          // Truncated meanwhile: what is left of the promised size cannot come.
          if (bytesRead === 0) throw new FailedPreconditionError(`${path}: shrank while it was read`);
          at += bytesRead;
          yield buffer.subarray(0, bytesRead);
        }
      },
      close: () => fd.close(),
    };
  }

  /**
   * Writes file `path` from `chunks` through a temporary file (see the module
   * comment); `mode` 0 is 0644. Missing parent directories are created.
   * Nothing is written when `signal` has aborted by the end.
   */
  async write(path: string, chunks: AsyncIterable<Uint8Array>, opts: { mode?: number; signal?: AbortSignal } = {}): Promise<FileEntry> {
    const mode = opts.mode ?? 0;
    const parts = FileRoot.parts(path, "path");
    if (mode > 0o7777) throw new InvalidInputError("mode", `must be permission bits (at most 07777), got ${mode.toString(8)}`);
    const dir = await this.directory(parts.slice(0, -1), path);
    const name = parts[parts.length - 1];
    const target = join(dir, name);
    const existing = await lstat(target).catch(() => undefined);
    if (existing?.isDirectory()) throw new FailedPreconditionError(`${path}: is a directory`);
    const temp = join(dir, `.${name}.upload-${randomBytes(6).toString("hex")}`);
    const fd = await open(temp, "wx", 0o600);
    let done = false;
    try {
      let size = 0;
      for await (const chunk of chunks) {
        if (chunk.length > MAX_CHUNK_BYTES)
          throw new InvalidInputError("data", `chunks are at most ${MAX_CHUNK_BYTES} bytes, got ${chunk.length}`);
        size += chunk.length;
        if (size > this.maxFileBytes) throw new ResourceExhaustedError(`${path}: over the ${this.maxFileBytes}-byte file limit`);
        await fd.write(chunk);
      }
      // A cancelled upload may look like a finished one to the reader of its
      // bytes (the stream just ends): the caller's signal decides, once the
      // cancellation had a turn to arrive.
      await new Promise((r) => setImmediate(r));
      opts.signal?.throwIfAborted();
      await fd.chmod(mode || 0o644);
      await fd.close();
      await rename(temp, target);
      done = true;
      return entry(parts.join("/"), await lstat(target));
    } finally {
      if (!done) {
        await fd.close().catch(() => undefined);
        await rm(temp, { force: true });
      }
    }
  }

  /** The directory `parts` under the root, created where missing, each step checked to stay inside. */
  private async directory(parts: string[], shown: string): Promise<string> {
    let dir = await this.real();
    for (const part of parts) {
      const next = join(dir, part);
      const s = await lstat(next).catch(() => undefined);
      if (!s)
        await mkdir(next, { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== "EEXIST") throw err;
        });
      dir = await this.inside(next, shown);
      if (!(await stat(dir)).isDirectory()) throw new FailedPreconditionError(`${shown}: ${part} is not a directory`);
    }
    return dir;
  }
}
