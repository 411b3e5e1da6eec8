/**
 * LaunchApplication, ListWindows, ActivateWindow and CloseWindow: checked
 * requests mapped to the Desktop (src/desktop/x11/windows.ts for how windows
 * are read), geometry in declared space when `scaled_size` is given.
 */
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
import type { Desktop } from "../../desktop/desktop.js";
import { InvalidInputError } from "../../desktop/errors.js";
import { Geometry } from "../../desktop/geometry.js";
import { intInRange, scaledSize } from "./validate.js";

/** Longest kill_after_ms, ms. */
const MAX_KILL_AFTER_MS = 60_000;

export async function launchApplication(desktop: Desktop, req: LaunchApplicationRequest): Promise<LaunchApplicationResponse> {
  if (req.argv.length === 0 || req.argv[0] === "") throw new InvalidInputError("argv", "is required: the program and its arguments");
  if (req.argv.some((a) => a.includes("\0"))) throw new InvalidInputError("argv", "must not contain NUL");
  if (req.workingDirectory && !isAbsolute(req.workingDirectory)) {
    throw new InvalidInputError("working_directory", `must be absolute, got "${req.workingDirectory}"`);
  }
  for (const [k, v] of Object.entries(req.env)) {
    if (k === "" || k.includes("=") || k.includes("\0") || v.includes("\0"))
      throw new InvalidInputError("env", `bad variable ${JSON.stringify(k)}`);
  }
  const { pid } = await desktop.launchApplication(req.argv, { cwd: req.workingDirectory || undefined, env: req.env });
  return create(LaunchApplicationResponseSchema, { pid });
}

export async function listWindows(desktop: Desktop, req: ListWindowsRequest): Promise<ListWindowsResponse> {
  const declared = scaledSize(req.scaledSize, "scaled_size");
  const { native } = await desktop.start();
  const geo = new Geometry(native, declared ?? native);
  const windows = (await desktop.windows()).map((w) => {
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

export async function activateWindow(desktop: Desktop, req: ActivateWindowRequest): Promise<ActivateWindowResponse> {
  await desktop.activateWindow(windowId(req.id));
  return create(ActivateWindowResponseSchema);
}

export async function closeWindow(desktop: Desktop, req: CloseWindowRequest): Promise<CloseWindowResponse> {
  const killAfter = intInRange(req.killAfterMs, "kill_after_ms", 0, MAX_KILL_AFTER_MS);
  return create(CloseWindowResponseSchema, await desktop.closeWindow(windowId(req.id), killAfter));
}
