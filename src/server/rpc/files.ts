/**
 * The file RPCs (UploadFile, DownloadFile, ListFiles) over one FileRoot
 * (src/files/file-root.ts). With file RPCs off (`--no-files`) each is
 * PERMISSION_DENIED. Logs name paths and sizes, never contents.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Logger } from "pino";
import {
  type DownloadFileRequest,
  type DownloadFileResponse,
  DownloadFileResponseSchema,
  type FileInfo,
  FileInfoSchema,
  FileType,
  type ListFilesRequest,
  type ListFilesResponse,
  ListFilesResponseSchema,
  type UploadFileRequest,
  type UploadFileResponse,
  UploadFileResponseSchema,
} from "../../../gen/desktop/v1/desktop_pb.js";
import { PermissionDeniedError } from "../../desktop/errors.js";
import type { FileEntry, FileKind, FileRoot } from "../../files/file-root.js";

const TYPE: Record<FileKind, FileType> = {
  regular: FileType.REGULAR,
  directory: FileType.DIRECTORY,
  symlink: FileType.SYMLINK,
  other: FileType.OTHER,
};

const toPb = (e: FileEntry): FileInfo =>
  create(FileInfoSchema, { path: e.path, size: BigInt(e.size), mode: e.mode, modified: timestampFromDate(e.modified), type: TYPE[e.kind] });

/** The root, or PermissionDeniedError when file RPCs are off. */
function rootOf(files: FileRoot | undefined): FileRoot {
  if (!files) throw new PermissionDeniedError("file RPCs are off on this server (desktopd serve --no-files)");
  return files;
}

export async function uploadFile(
  files: FileRoot | undefined,
  reqs: AsyncIterable<UploadFileRequest>,
  signal: AbortSignal,
  logger: Logger,
): Promise<UploadFileResponse> {
  const root = rootOf(files);
  const it = reqs[Symbol.asyncIterator]();
  const first = await it.next();
  const head: UploadFileRequest | undefined = first.done ? undefined : first.value;
  const chunks = async function* () {
    if (head?.data.length) yield head.data;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value.data;
  };
  const written = await root.write(head?.path ?? "", chunks(), { mode: head?.mode ?? 0, signal });
  logger.info({ path: written.path, size: written.size }, "file uploaded");
  return create(UploadFileResponseSchema, { file: toPb(written) });
}

export async function* downloadFile(
  files: FileRoot | undefined,
  req: DownloadFileRequest,
  signal: AbortSignal,
  logger: Logger,
): AsyncGenerator<DownloadFileResponse> {
  const file = await rootOf(files).read(req.path, { signal });
  try {
    logger.info({ path: file.info.path, size: file.info.size }, "file download");
    yield create(DownloadFileResponseSchema, { part: { case: "info", value: toPb(file.info) } });
    for await (const chunk of file.chunks()) yield create(DownloadFileResponseSchema, { part: { case: "chunk", value: chunk } });
  } finally {
    await file.close();
  }
}

export async function listFiles(files: FileRoot | undefined, req: ListFilesRequest, signal: AbortSignal): Promise<ListFilesResponse> {
  return create(ListFilesResponseSchema, { files: (await rootOf(files).list(req.path, { signal })).map(toPb) });
}
