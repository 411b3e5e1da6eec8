/**
 * Claim: a warm desktop handed to a task (proto: DesktopService.Claim). The
 * bearer check (src/server/transport/auth.ts) has let the call through with
 * either the bootstrap secret of an unclaimed desktop or the current token;
 * this sets the new token, label and allowed origins, after the reset asked
 * for.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "pino";
import { type ClaimRequest, type ClaimResponse, ClaimResponseSchema } from "../../../gen/desktop/v1/desktop_pb.js";
import { FailedPreconditionError, InvalidInputError } from "../../desktop/errors.js";
import type { Credentials } from "../transport/credentials.js";
import { MIN_SECRET } from "../transport/credentials.js";
import { parseOrigin } from "../transport/origins.js";
import { type ResetOptions, resetDesktop } from "./reset.js";

const TOKEN = new RegExp(`^[\\x21-\\x7e]{${MIN_SECRET},512}$`);
const LABEL = /^[A-Za-z0-9._:/@-]{0,128}$/;
/** Most origins one Claim may allow. */
const MAX_ORIGINS = 16;

/** `authorization`: the call's header, checked again right before the token changes (another Claim may have won meanwhile). */
export async function claimDesktop(
  credentials: Credentials | undefined,
  req: ClaimRequest,
  authorization: string | null,
  reset: ResetOptions,
  logger: Logger,
): Promise<ClaimResponse> {
  if (!credentials?.claimable)
    throw new FailedPreconditionError("this service was started with a token, not a bootstrap secret: there is nothing to claim");
  if (!TOKEN.test(req.token)) throw new InvalidInputError("token", `must be ${MIN_SECRET} to 512 visible ASCII characters`);
  if (!LABEL.test(req.label)) throw new InvalidInputError("label", "must be at most 128 characters of letters, digits and ._:/@-");
  if (req.allowedOrigins.length > MAX_ORIGINS) throw new InvalidInputError("allowed_origins", `at most ${MAX_ORIGINS}`);
  const origins = req.allowedOrigins.map((o, i) => {
    try {
      return parseOrigin(o, `allowed_origins[${i}]`);
    } catch (err) {
      throw new InvalidInputError(`allowed_origins[${i}]`, (err as Error).message.replace(/^[^:]*: /, ""));
    }
  });
  const res = create(ClaimResponseSchema, {});
  if (req.reset) res.reset = await resetDesktop(reset);
  const again = !credentials.unclaimed;
  // No await from this check to the claim: two Claims of one warm desktop cannot both win.
  if (!credentials.check(authorization) && !credentials.checkBootstrap(authorization)) {
    throw new ConnectError("another Claim took this desktop first", Code.Unauthenticated);
  }
  credentials.claim(req.token, req.label || undefined, origins);
  logger.info(
    { claim: req.label || undefined, again, reset: req.reset, origins: origins.length ? origins : undefined },
    again ? "desktop claimed again: its token changed" : "desktop claimed",
  );
  return res;
}
