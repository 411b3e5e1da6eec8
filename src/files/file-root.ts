/**
 * Files under one root directory, for the file RPCs. Paths are relative and
 * '/'-separated, checked up front (no `..`, no NUL, at most MAX_DEPTH
 * components of at most MAX_NAME_BYTES, MAX_PATH_BYTES in all), then resolved
 * beneath the root one component at a time without following any symlink
 * (src/files/beneath.ts), so no race with a desktop program that swaps
 * directories for symlinks can lead a transfer outside the root.
 *
 * Errors: InvalidInputError (empty where a file is needed, absolute, `..`,
 * NUL, too deep or too long), PermissionDeniedError (a symlink on the way),
 * NotFoundError, FailedPreconditionError (a directory where a file is needed
 * or the reverse, a FIFO, device or socket), ResourceExhaustedError (over the
 * per-file limit, a directory of more than MAX_LIST_ENTRIES). Messages name
 * the path as given, never the host's. Every operation ends when the call's
 * signal aborts (deadline, cancel).
 *
 * Writes go to a 0600 temporary file in the verified target directory
 * (`.desktopd-upload-<pid>-<hex>`, short whatever the name), renamed over the
 * target once complete (rename(2) is atomic within a file system), so a
 * reader sees the old file or the whole new one, and a failed write leaves
 * nothing. Temporary files of a service killed mid-upload are swept at the
 * next start (src/files/partial-uploads.ts). Reads are of the file as opened:
 * exactly the size it had then.
 */
import { randomBytes } from "node:crypto";
import type { Stats } from "node:fs";
import { FailedPreconditionError, InvalidInputError, ResourceExhaustedError } from "../desktop/errors.js";
import { abortable } from "../os/sleep.js";
import { type Dir, fsError, openRoot } from "./beneath.js";

/** Largest chunk read or written at once, bytes. */
export const MAX_CHUNK_BYTES = 1024 * 1024;
/** Default largest file an upload may write, bytes. */
export const DEFAULT_MAX_FILE_BYTES = 1024 ** 3;
/** Most components a path may have. */
export const MAX_DEPTH = 64;
/** Longest component, bytes of UTF-8 (NAME_MAX). */
export const MAX_NAME_BYTES = 255;
/** Longest path, bytes of UTF-8 (PATH_MAX). */
export const MAX_PATH_BYTES = 4096;
/** Most entries ListFiles returns for one directory. */
export const MAX_LIST_ENTRIES = 50_000;
/** Names of upload temporary files: `.desktopd-upload-<pid>-<16 hex>`. */
export const TEMP_NAME = /^\.desktopd-upload-(\d+)-[0-9a-f]{16}$/;

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

/** Where uploads in progress are noted (src/files/partial-uploads.ts). */
export interface UploadJournal {
  /** Notes a temporary file (relative to the root) before it is created. */
  add(path: string): Promise<void>;
  /** Forgets it once it is renamed or removed. */
  remove(path: string): Promise<void>;
  /** At a clean shutdown. */
  close(): Promise<void>;
}

export interface FileRootOptions {
  /** Largest file an upload may write, bytes; DEFAULT_MAX_FILE_BYTES by default. */
  maxFileBytes?: number;
  /** Where uploads in progress are noted, so a killed service's temporary files can be swept. */
  partials?: UploadJournal;
}

export interface OpenedFile {
  info: FileEntry;
  /** Its bytes, exactly `info.size` of them, in chunks of at most MAX_CHUNK_BYTES. */
  chunks(): AsyncGenerator<Buffer>;
  close(): Promise<void>;
}

const kindOf = (s: Stats): FileKind => (s.isFile() ? "regular" : s.isDirectory() ? "directory" : s.isSymbolicLink() ? "symlink" : "other");
const entry = (path: string, s: Stats): FileEntry => ({ path, size: s.size, mode: s.mode & 0o7777, modified: s.mtime, kind: kindOf(s) });

export class FileRoot {
  private base?: Promise<Dir>;
  readonly maxFileBytes: number;

  constructor(
    /** The root directory (created if missing). */
    readonly root: string,
    private readonly opts: FileRootOptions = {},
  ) {
    this.maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  }

  /** The path's components, checked (see the module comment); `field` names the request field in errors. */
  static parts(path: string, field: string, allowRoot = false): string[] {
    if (Buffer.byteLength(path) > MAX_PATH_BYTES) throw new InvalidInputError(field, `is longer than ${MAX_PATH_BYTES} bytes`);
    if (path.includes("\0")) throw new InvalidInputError(field, "must not contain NUL");
    if (path.startsWith("/")) throw new InvalidInputError(field, `must be relative to the file root, got "${path}"`);
    const parts = path.split("/").filter((p) => p !== "" && p !== ".");
    if (parts.includes("..")) throw new InvalidInputError(field, `must not contain "..", got "${path}"`);
    if (!allowRoot && parts.length === 0) throw new InvalidInputError(field, "is required (a file path under the file root)");
    if (parts.length > MAX_DEPTH) throw new InvalidInputError(field, `has ${parts.length} components; at most ${MAX_DEPTH}`);
    const long = parts.find((p) => Buffer.byteLength(p) > MAX_NAME_BYTES);
    if (long !== undefined) throw new InvalidInputError(field, `has a name of ${Buffer.byteLength(long)} bytes; at most ${MAX_NAME_BYTES}`);
    return parts;
  }

  /** The root, opened once (a failure is not kept: the next call tries again); its failure names no host path. */
  private rootDir(): Promise<Dir> {
    this.base ??= openRoot(this.root).catch((err: NodeJS.ErrnoException) => {
      this.base = undefined;
      throw new FailedPreconditionError(`the file root cannot be opened (${err.code ?? err.message})`);
    });
    return this.base;
  }

  /**
   * Directory `parts` beneath the root, each component opened from the one
   * before without following symlinks; missing ones created when `create`.
   * The caller closes it.
   */
  async walk(parts: string[], opts: { create?: boolean; signal?: AbortSignal } = {}): Promise<Dir> {
    let dir = await this.rootDir();
    for (const [i, part] of parts.entries()) {
      opts.signal?.throwIfAborted();
      try {
        const next = await dir.child(part, parts.slice(0, i + 1).join("/"), opts);
        if (i > 0) dir.close();
        dir = next;
      } catch (err) {
        if (i > 0) dir.close();
        throw err;
      }
    }
    // The root itself is shared: hand out a handle the caller may close.
    return parts.length > 0 ? dir : dir.child(".", ".", opts);
  }

  /** Lists directory `path` ("" = the root), sorted by name; symlinks listed, never followed. */
  async list(path: string, opts: { field?: string; signal?: AbortSignal } = {}): Promise<FileEntry[]> {
    const parts = FileRoot.parts(path, opts.field ?? "path", true);
    const dir = await this.walk(parts, opts);
    try {
      const names = (await dir.names(path || ".", MAX_LIST_ENTRIES, opts.signal)).sort();
      const out: FileEntry[] = [];
      for (const name of names) {
        const s = await dir.stat(name, opts.signal).catch((err) => {
          if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
          throw fsError(err, [...parts, name].join("/"));
        });
        if (s) out.push(entry([...parts, name].join("/"), s));
      }
      return out;
    } finally {
      dir.close();
    }
  }

  /**
   * Opens file `path` for reading: its entry (as opened) and its bytes. A FIFO,
   * device or socket is refused without blocking. The caller must `close()`
   * it, read through or not; reads end when `signal` aborts.
   */
  async read(path: string, opts: { field?: string; signal?: AbortSignal } = {}): Promise<OpenedFile> {
    const parts = FileRoot.parts(path, opts.field ?? "path");
    const shown = parts.join("/");
    const dir = await this.walk(parts.slice(0, -1), opts);
    let fd: Awaited<ReturnType<Dir["openRead"]>>;
    try {
      fd = await dir.openRead(parts[parts.length - 1], shown, opts.signal);
    } finally {
      dir.close();
    }
    let s: Stats;
    try {
      s = await abortable(fd.stat(), opts.signal);
      if (s.isDirectory()) throw new FailedPreconditionError(`${shown}: is a directory`);
      if (!s.isFile()) throw new FailedPreconditionError(`${shown}: not a regular file (a FIFO, a device or a socket)`);
    } catch (err) {
      await fd.close().catch(() => undefined);
      throw err;
    }
    const size = s.size;
    const signal = opts.signal;
    return {
      info: entry(shown, s),
      async *chunks() {
        for (let at = 0; at < size; ) {
          const want = Math.min(MAX_CHUNK_BYTES, size - at);
          const { bytesRead, buffer } = await abortable(fd.read(Buffer.allocUnsafe(want), 0, want, at), signal).catch((err) =>
            Promise.reject(signal?.aborted ? err : fsError(err, shown)),
          );
          // Truncated meanwhile: what is left of the promised size cannot come.
          if (bytesRead === 0) throw new FailedPreconditionError(`${shown}: shrank while it was read`);
          at += bytesRead;
          yield buffer.subarray(0, bytesRead);
        }
      },
      close: () => fd.close(),
    };
  }

  /** At shutdown, once no upload runs: nothing is left to sweep at the next start. */
  async close(): Promise<void> {
    await this.opts.partials?.close();
  }

  /**
   * Writes file `path` from `chunks` through a temporary file (see the module
   * comment); `mode` 0 is 0644. Missing parent directories are created.
   * Nothing is written when `signal` has aborted by the end.
   */
  async write(path: string, chunks: AsyncIterable<Uint8Array>, opts: { mode?: number; signal?: AbortSignal } = {}): Promise<FileEntry> {
    const mode = opts.mode ?? 0;
    const { signal } = opts;
    const parts = FileRoot.parts(path, "path");
    if (mode > 0o7777) throw new InvalidInputError("mode", `must be permission bits (at most 07777), got ${mode.toString(8)}`);
    const shown = parts.join("/");
    const name = parts[parts.length - 1];
    const dir = await this.walk(parts.slice(0, -1), { create: true, signal });
    const temp = `.desktopd-upload-${process.pid}-${randomBytes(8).toString("hex")}`;
    const noted = [...parts.slice(0, -1), temp].join("/");
    let fd: Awaited<ReturnType<Dir["create"]>> | undefined;
    let done = false;
    try {
      const existing = await dir.stat(name, signal).catch(() => undefined);
      if (existing?.isDirectory()) throw new FailedPreconditionError(`${shown}: is a directory`);
      await this.opts.partials?.add(noted);
      fd = await dir.create(temp, shown, 0o600, signal);
      let size = 0;
      for await (const chunk of chunks) {
        if (chunk.length > MAX_CHUNK_BYTES)
          throw new InvalidInputError("data", `chunks are at most ${MAX_CHUNK_BYTES} bytes, got ${chunk.length}`);
        size += chunk.length;
        if (size > this.maxFileBytes) throw new ResourceExhaustedError(`${shown}: over the ${this.maxFileBytes}-byte file limit`);
        await abortable(fd.write(chunk), signal).catch((err) => Promise.reject(signal?.aborted ? err : fsError(err, shown)));
      }
      // A cancelled upload may look like a finished one to the reader of its
      // bytes (the stream just ends): the caller's signal decides, once the
      // cancellation had a turn to arrive.
      await new Promise((r) => setImmediate(r));
      signal?.throwIfAborted();
      await abortable(fd.chmod(mode || 0o644), signal);
      await fd.close();
      fd = undefined;
      await dir.rename(temp, name, shown, signal);
      done = true;
      return entry(shown, await dir.stat(name, signal).catch((err) => Promise.reject(fsError(err, shown))));
    } finally {
      const cleanup = (async () => {
        let gone = done;
        if (!done) {
          await fd?.close().catch(() => undefined);
          gone = await dir.remove(temp).then(
            () => true,
            () => false,
          );
        }
        // One that could not be removed stays noted, for the sweep at the next start.
        if (gone) await this.opts.partials?.remove(noted);
        dir.close();
      })();
      // A call that was given up on does not wait for a file system that hangs.
      await abortable(cleanup, signal).catch(() => undefined);
    }
  }
}
