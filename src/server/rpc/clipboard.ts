/** GetClipboard and SetClipboard: the selection named, the size checked, the Desktop asked. */
import { create } from "@bufbuild/protobuf";
import {
  type GetClipboardRequest,
  type GetClipboardResponse,
  GetClipboardResponseSchema,
  Selection,
  type SetClipboardRequest,
  type SetClipboardResponse,
  SetClipboardResponseSchema,
} from "../../../gen/desktop/v1/desktop_pb.js";
import type { Desktop } from "../../desktop/desktop.js";
import { InvalidInputError } from "../../desktop/errors.js";
import { MAX_CLIPBOARD_BYTES, type SelectionName } from "../../desktop/x11/clipboard.js";

function selectionName(s: Selection): SelectionName {
  if (s === Selection.UNSPECIFIED || s === Selection.CLIPBOARD) return "CLIPBOARD";
  if (s === Selection.PRIMARY) return "PRIMARY";
  throw new InvalidInputError("selection", `unknown selection ${s}`);
}

export async function getClipboard(desktop: Desktop, req: GetClipboardRequest, signal: AbortSignal): Promise<GetClipboardResponse> {
  const selection = selectionName(req.selection);
  await desktop.start();
  return create(GetClipboardResponseSchema, { text: await desktop.getClipboard(selection, signal) });
}

export async function setClipboard(desktop: Desktop, req: SetClipboardRequest): Promise<SetClipboardResponse> {
  const selection = selectionName(req.selection);
  const bytes = Buffer.byteLength(req.text, "utf8");
  if (bytes > MAX_CLIPBOARD_BYTES) throw new InvalidInputError("text", `is ${bytes} bytes; at most ${MAX_CLIPBOARD_BYTES}`);
  await desktop.start();
  await desktop.setClipboard(req.text, selection);
  return create(SetClipboardResponseSchema);
}
