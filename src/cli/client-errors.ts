/**
 * What a failed call means for someone at a terminal: the client commands
 * name the flag to fix instead of printing a transport's words ("[internal]
 * Protocol error" from a server that is not desktopd, "[unauthenticated]" for
 * a wrong token, "connect ECONNREFUSED" for a closed port). The gRPC code is
 * kept; only the message changes.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/** Bytes of a cause worth quoting. */
const QUOTE = 200;

/** `err` as a ConnectError whose message says what to check, for a service at `url`. */
export function explainClientError(err: unknown, url: string): ConnectError {
  const e = ConnectError.from(err);
  const cause = e.rawMessage.slice(0, QUOTE);
  const say = (message: string) => new ConnectError(message, e.code, e.metadata, undefined, e);
  switch (e.code) {
    case Code.Unauthenticated:
      return say(`${url} refused the token (${cause}): pass --token, set DESKTOPD_TOKEN, or run where the server's token file is`);
    case Code.Unavailable:
      if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ETIMEDOUT|ECONNRESET/.test(cause))
        return say(`nothing answers as desktopd at ${url} (${cause}): is \`desktopd serve\` running there? (--url, DESKTOPD_URL)`);
      return e;
    case Code.Unimplemented:
      if (/DesktopService|HTTP 404|not found/i.test(cause))
        return say(`${url} does not serve desktop.v1.DesktopService (${cause}): is --url desktopd's address?`);
      return e;
    case Code.Internal:
    case Code.Unknown:
      if (/protocol error|HTTP\/1|content-type|http status|unexpected|HTTP 4\d\d|HTTP 5\d\d/i.test(cause))
        return say(`the server at ${url} does not answer as desktopd (${cause}): is --url desktopd's address?`);
      return e;
    default:
      return e;
  }
}

/** An interceptor that rewrites a failed call's error with explainClientError. */
export function explainErrors(url: string): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      throw explainClientError(err, url);
    }
  };
}
