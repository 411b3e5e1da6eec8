/**
 * LaunchApplication, ListWindows, ActivateWindow and CloseWindow: checked
 * requests mapped to the desktop session (src/desktop/x11/windows.ts for how windows
 * are read), geometry in declared space when `scaled_size` is given.
 */
import { stat } from "node:fs/promises";
import { isAbsolute } from "node:path";
import { create } from "@bufbuild/protobuf";
import {
  type ActivateWindowRequest,
  type ActivateWindowResponse,
  ActivateWindowResponseSchema,
  type CloseWindowRequest,
  type CloseWindowResponse,
  CloseWindowResponseSchema,
  type LaunchApplicationRequest,
  type LaunchApplicationResponse,
  LaunchApplicationResponseSchema,
  type ListWindowsRequest,
  type ListWindowsResponse,
  ListWindowsResponseSchema,
  WindowSchema,
} from "../../../gen/desktop/v1/desktop_pb.js";
import type { DesktopHost } from "../../desktop/desktop.js";
import { FailedPreconditionError, InvalidInputError } from "../../desktop/errors.js";
import { Geometry } from "../../desktop/geometry.js";
import { intInRange, scaledSize } from "./validate.js";

/** Longest kill_after_ms, ms. */
const MAX_KILL_AFTER_MS = 60_000;

/** Longest argument or variable, bytes (Linux's MAX_ARG_STRLEN: execve fails with E2BIG beyond). */
const MAX_ARG_BYTES = 128 * 1024;
/** Most bytes of arguments and extra variables together (half of the usual 2 MiB ARG_MAX: the desktop's own environment needs room). */
const MAX_ARGS_TOTAL_BYTES = 1024 * 1024;

export async function launchApplication(
  host: DesktopHost,
  req: LaunchApplicationRequest,
  signal: AbortSignal,
): Promise<LaunchApplicationResponse> {
  if (req.argv.length === 0 || req.argv[0] === "") throw new InvalidInputError("argv", "is required: the program and its arguments");
  if (req.argv.some((a) => a.includes("\0"))) throw new InvalidInputError("argv", "must not contain NUL");
  if (req.workingDirectory && !isAbsolute(req.workingDirectory)) {
    throw new InvalidInputError("working_directory", `must be absolute, got "${req.workingDirectory}"`);
  }
  for (const [k, v] of Object.entries(req.env)) {
    if (k === "" || k.includes("=") || k.includes("\0") || v.includes("\0"))
      throw new InvalidInputError("env", `bad variable ${JSON.stringify(k)}`);
  }
  let total = 0;
  const strings: [string, string][] = [
    ...req.argv.map((a, i): [string, string] => [`argv[${i}]`, a]),
    ...Object.entries(req.env).map(([k, v]): [string, string] => [`env[${JSON.stringify(k)}]`, `${k}=${v}`]),
  ];
  for (const [field, text] of strings) {
    const bytes = Buffer.byteLength(text) + 1;
    if (bytes > MAX_ARG_BYTES) throw new InvalidInputError(field, `is ${bytes} bytes; at most ${MAX_ARG_BYTES} (MAX_ARG_STRLEN)`);
    total += bytes;
  }
  if (total > MAX_ARGS_TOTAL_BYTES)
    throw new InvalidInputError("argv", `arguments and env are ${total} bytes in all; at most ${MAX_ARGS_TOTAL_BYTES}`);
  if (req.workingDirectory) {
    const dir = await stat(req.workingDirectory).catch(() => undefined);
    if (!dir?.isDirectory())
      throw new FailedPreconditionError(`working_directory: "${req.workingDirectory}" ${dir ? "is not a directory" : "does not exist"}`);
  }
  const session = await host.session(signal);
  const { pid } = await session.launch(req.argv, { cwd: req.workingDirectory || undefined, env: req.env });
  return create(LaunchApplicationResponseSchema, { pid });
}

export async function listWindows(host: DesktopHost, req: ListWindowsRequest, signal: AbortSignal): Promise<ListWindowsResponse> {
  const declared = scaledSize(req.scaledSize, "scaled_size");
  const session = await host.session(signal);
  const geo = new Geometry(session.native, declared ?? session.native);
  const windows = (await session.windows.list()).map((w) => {
    const from = geo.toDeclared({ x: w.geometry.x, y: w.geometry.y });
    const to = geo.toDeclared({ x: w.geometry.x + w.geometry.width, y: w.geometry.y + w.geometry.height });
    return create(WindowSchema, {
      id: w.id,
      title: w.title,
      className: w.className,
      pid: w.pid,
      geometry: declared ? { x: from.x, y: from.y, width: to.x - from.x, height: to.y - from.y } : w.geometry,
      focused: w.focused,
      minimized: w.minimized,
    });
  });
  return create(ListWindowsResponseSchema, { windows });
}

function windowId(id: number): number {
  if (id === 0) throw new InvalidInputError("id", "is required (a window id from ListWindows)");
  return id;
}

export async function activateWindow(host: DesktopHost, req: ActivateWindowRequest, signal: AbortSignal): Promise<ActivateWindowResponse> {
  const id = windowId(req.id);
  await (await host.session(signal)).windows.activate(id);
  return create(ActivateWindowResponseSchema);
}

export async function closeWindow(host: DesktopHost, req: CloseWindowRequest, signal: AbortSignal): Promise<CloseWindowResponse> {
  const killAfter = intInRange(req.killAfterMs, "kill_after_ms", 0, MAX_KILL_AFTER_MS);
  const id = windowId(req.id);
  return create(CloseWindowResponseSchema, await (await host.session(signal)).windows.close(id, killAfter));
}
