/**
 * What `desktopd serve` prints on stderr once it serves: a `buf curl` line
 * that runs as printed, the live view link, the MCP endpoint, probes and
 * metrics. The token itself is printed only to a terminal: where stderr is
 * collected (a container's log, a journal), lines name where to read it.
 */
import { bufCommand } from "./buf-command.js";

export interface BannerFacts {
  /** The server's URL; a wildcard address (0.0.0.0, [::]) is shown as loopback, which reaches it. */
  url: string;
  /** --metrics-listen's URL, when set. */
  metricsUrl?: string | undefined;
  /** The TLS certificate file (for buf curl's --cacert); cleartext when unset. */
  caFile?: string | undefined;
  token: string;
  /** "DESKTOPD_TOKEN", or the token file's path. */
  tokenSource: string;
  /** The token was generated at this start. */
  generated: boolean;
  /** Whether the token may be printed (stderr is a terminal). */
  showToken: boolean;
}

export function banner(f: BannerFacts): string {
  const url = f.url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:");
  const tokenRef = f.tokenSource === "DESKTOPD_TOKEN" ? "$DESKTOPD_TOKEN" : `$(cat ${f.tokenSource})`;
  const lines: string[] = [""];
  if (f.generated) {
    lines.push(`desktopd: generated a bearer token (saved to ${f.tokenSource}, mode 0600)${f.showToken ? ":" : "."}`);
    if (f.showToken) lines.push(`  ${f.token}`);
    lines.push("");
  }
  lines.push(
    `desktopd: serving on ${url}${url === f.url ? "" : ` (listening on ${f.url})`}; try:`,
    `  ${bufCommand()} curl ${f.caFile ? `--cacert ${f.caFile}` : "--http2-prior-knowledge"} --reflect-header '*' \\`,
    `    -H "Authorization: Bearer ${tokenRef}" \\`,
    `    ${url}/desktop.v1.DesktopService/GetDisplay`,
    "desktopd: live view in a browser (the link holds the token; add &view_only=1 to watch only):",
    f.showToken ? `  ${url}/?token=${encodeURIComponent(f.token)}` : `  ${url}/?token=<the token: ${tokenRef}>`,
    `desktopd: MCP (Streamable HTTP) for agents, with the header "Authorization: Bearer ${tokenRef}":`,
    `  ${url}/mcp`,
    `desktopd: probes ${url}/healthz and ${url}/readyz; Prometheus metrics ${f.metricsUrl ?? `${url}/metrics (with the header)`}`,
    "",
    "",
  );
  return lines.join("\n");
}
