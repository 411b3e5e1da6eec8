/**
 * DesktopService: maps RPCs to the Desktop interface and errors to codes.
 * Nothing here knows which backend runs.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { DesktopService, GetDisplayResponseSchema } from "../../gen/desktop/v1/desktop_pb.js";
import type { Desktop } from "../desktop/desktop.js";
import { defaultDeclaredSize } from "../desktop/geometry.js";
import { runAction } from "./actions.js";
import { toConnectError } from "./errors.js";
import { screenshotStream } from "./frames.js";
import { vncBridge } from "./vnc.js";

export interface ServiceOptions {
  desktop: Desktop;
  /** Aborted when the server starts shutting down: streams end with UNAVAILABLE. */
  shutdownSignal?: AbortSignal;
  /** Called before every Action (drives the recording idle stop). */
  onActivity?: () => void;
}

export function desktopService(opts: ServiceOptions): ServiceImpl<typeof DesktopService> {
  const { desktop } = opts;
  const shuttingDown = () => opts.shutdownSignal?.aborted ?? false;
  const mapErr = (err: unknown) => toConnectError(err, shuttingDown());

  async function unary<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw mapErr(err);
    }
  }

  async function* stream<T>(gen: AsyncGenerator<T>, ctx: HandlerContext): AsyncGenerator<T> {
    try {
      yield* gen;
    } catch (err) {
      throw mapErr(err);
    }
    if (ctx.signal.aborted) throw mapErr(ctx.signal.reason);
  }

  const unimplemented = (what: string) => () => {
    throw new ConnectError(`${what} is not implemented yet`, Code.Unimplemented);
  };

  return {
    getDisplay: () =>
      unary(async () => {
        const cfg = await desktop.start();
        return create(GetDisplayResponseSchema, {
          nativeSize: cfg.native,
          defaultDeclaredSize: defaultDeclaredSize(cfg.native),
          backend: cfg.backend,
        });
      }),
    action: (req, ctx) =>
      unary(() => {
        opts.onActivity?.();
        return runAction(desktop, req, ctx.signal);
      }),
    screenshot: (req, ctx) => stream(screenshotStream(desktop, req, ctx.signal), ctx),
    vnc: (reqs, ctx) => stream(vncBridge(desktop, reqs, ctx.signal), ctx),
    startRecording: unimplemented("StartRecording"),
    stopRecording: unimplemented("StopRecording"),
  };
}
