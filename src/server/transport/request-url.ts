/**
 * A request target ("/path?query") as a URL, for its path and query. Never
 * throws: `new URL("//x", base)` reads "//x" as a host, so "GET //" answered
 * 500 and a WebSocket upgrade to "//vnc" threw in the server's event handler.
 * The target is always taken as a path on this server.
 */
export function requestUrl(target: string | undefined): URL {
  const path = target?.startsWith("/") ? target : `/${target ?? ""}`;
  try {
    return new URL(`http://localhost${path}`);
  } catch {
    return new URL("http://localhost/");
  }
}
