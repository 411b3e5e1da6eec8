#!/usr/bin/env node
/** The `desktopd` command: subcommand dispatch. */
import { portabledesktop, PORTABLEDESKTOP_USAGE } from "./portabledesktop.js";
import { record, RECORD_USAGE } from "./record.js";
import { screenshot, SCREENSHOT_USAGE } from "./screenshot.js";
import { serve, SERVE_USAGE } from "./serve.js";
import { vncForward, VNC_FORWARD_USAGE } from "./vnc-forward.js";

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
