/** GetClipboard and SetClipboard: the selection named, the size checked, the desktop session asked. */
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
import { type DesktopHost, MAX_CLIPBOARD_BYTES, type SelectionName } from "../../desktop/desktop.js";
import { InvalidInputError } from "../../desktop/errors.js";

function selectionName(s: Selection): SelectionName {
  if (s === Selection.UNSPECIFIED || s === Selection.CLIPBOARD) return "CLIPBOARD";
  if (s === Selection.PRIMARY) return "PRIMARY";
  throw new InvalidInputError("selection", `unknown selection ${s}`);
}

export async function getClipboard(host: DesktopHost, req: GetClipboardRequest, signal: AbortSignal): Promise<GetClipboardResponse> {
  const selection = selectionName(req.selection);
  const session = await host.session(signal);
  return create(GetClipboardResponseSchema, { text: await session.clipboard.get(selection, signal) });
}

export async function setClipboard(host: DesktopHost, req: SetClipboardRequest, signal: AbortSignal): Promise<SetClipboardResponse> {
  const selection = selectionName(req.selection);
  const bytes = Buffer.byteLength(req.text, "utf8");
  if (bytes > MAX_CLIPBOARD_BYTES) throw new InvalidInputError("text", `is ${bytes} bytes; at most ${MAX_CLIPBOARD_BYTES}`);
  await (await host.session(signal)).clipboard.set(req.text, selection);
  return create(SetClipboardResponseSchema);
}
