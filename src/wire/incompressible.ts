/**
 * RPCs whose responses are sent uncompressed whatever the client offers, and
 * for which the project's clients offer no compression: their bytes are
 * already compressed (PNG and JPEG from Screenshot and Action's capture, MP4
 * and JPEG from StopRecording), carry their own compression (RFB from Vnc: a
 * viewer on a slow link asks for the Tight or ZRLE encoding, RFC 6143 section
 * 7.7), or are arbitrary files (DownloadFile: archives, images and PDFs are
 * compressed already, and gzip caps a transfer at its own speed). gzip on them
 * costs CPU and gains nothing (figures: docs/performance.md, "Vnc relay and compression").
 *
 * Everything else (GetDisplay, ListWindows, ListFiles, GetClipboard: small or
 * text) keeps the compression the client and server agree on.
 */
import type { Interceptor } from "@connectrpc/connect";
import { DesktopService } from "../../gen/desktop/v1/desktop_pb.js";

const { method } = DesktopService;

/** Request paths ("/desktop.v1.DesktopService/Vnc") of the RPCs above. */
export const INCOMPRESSIBLE_RESPONSES: ReadonlySet<string> = new Set(
  [method.screenshot, method.action, method.vnc, method.stopRecording, method.downloadFile].map(
    (m) => `/${DesktopService.typeName}/${m.name}`,
  ),
);

/** The request headers by which a client offers response compression (gRPC, Connect streaming, Connect unary / HTTP). */
export const ACCEPT_ENCODING_HEADERS = ["grpc-accept-encoding", "connect-accept-encoding", "accept-encoding"] as const;

/** A client interceptor: no compression offered for INCOMPRESSIBLE_RESPONSES. */
export const noCompressionOffered: Interceptor = (next) => (req) => {
  if (INCOMPRESSIBLE_RESPONSES.has(`/${req.service.typeName}/${req.method.name}`))
    for (const h of ACCEPT_ENCODING_HEADERS) req.header.delete(h);
  return next(req);
};
