#!/usr/bin/env node
/** The `desktopd` command: subcommand dispatch. */
import { PORTABLEDESKTOP_USAGE, portabledesktop } from "./portabledesktop.js";
import { RECORD_USAGE, record } from "./record.js";
import { SCREENSHOT_USAGE, screenshot } from "./screenshot.js";
import { SERVE_USAGE, serve } from "./serve.js";
import { VNC_FORWARD_USAGE, vncForward } from "./vnc-forward.js";

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  serve,
  screenshot,
  record,
  "vnc-forward": vncForward,
  portabledesktop,
};
const USAGE = `usage:\n  ${[SERVE_USAGE, SCREENSHOT_USAGE, RECORD_USAGE, VNC_FORWARD_USAGE, PORTABLEDESKTOP_USAGE].join("\n\n  ")}\n`;

const [cmd, ...rest] = process.argv.slice(2);
const run = cmd ? COMMANDS[cmd] : undefined;
if (!run) {
  process.stderr.write(cmd && cmd !== "help" && cmd !== "--help" ? `desktopd: unknown command "${cmd}"\n${USAGE}` : USAGE);
  process.exit(cmd && cmd !== "help" && cmd !== "--help" ? 2 : 0);
}
run(rest).catch((err: Error) => {
  process.stderr.write(`desktopd ${cmd}: ${err.message}\n`);
  process.exit(1);
});
