/**
 * The `desktopd` command line: finds the command named by the first words of
 * argv (`serve`, `record start`, ...) and runs it. `--help` works for every
 * command, `desktopd help [command]` too. Exit codes: 0 done, 1 failed, 2 a
 * usage mistake.
 */

import { type Command, type Env, UsageError } from "./command.js";
import { clipboardGet, clipboardSet, openApp } from "./desktop-commands.js";
import { download, upload } from "./files.js";
import { health } from "./health.js";
import { portabledesktopFetch } from "./portabledesktop.js";
import { recordStart, recordStop } from "./record.js";
import { screenshot } from "./screenshot.js";
import { serve } from "./serve.js";
import { vncForward } from "./vnc-forward.js";

export const COMMANDS: Command[] = [
  serve,
  screenshot,
  recordStart,
  recordStop,
  upload,
  download,
  clipboardGet,
  clipboardSet,
  openApp,
  vncForward,
  health,
  portabledesktopFetch,
];

function overview(commands: Command[] = COMMANDS, prefix = ""): string {
  const rows = commands.map((c) => `  ${c.name.padEnd(24)}${c.summary}`);
  const usage = `desktopd ${prefix}<command> [options]`;
  return `usage: ${usage}\n\ncommands:\n${rows.join("\n")}\n\n\`desktopd ${prefix}<command> --help\` shows a command's options.\n`;
}

/** The command `words` name, and the words after its name. */
function find(words: string[]): { command?: Command; rest: string[]; group: Command[] } {
  for (const n of [2, 1]) {
    const name = words.slice(0, n).join(" ");
    const command = COMMANDS.find((c) => c.name === name);
    if (command && words.length >= n) return { command, rest: words.slice(n), group: [] };
  }
  return { rest: words, group: COMMANDS.filter((c) => c.name.startsWith(`${words[0]} `)) };
}

/** Runs `desktopd <argv>`; resolves with the exit code (serve resolves once it serves). */
export async function runCli(argv: string[], env: Env): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    const asked = first === "help" ? find(rest) : undefined;
    if (asked?.command) process.stdout.write(asked.command.help());
    else if (asked?.group.length) process.stdout.write(overview(asked.group, `${rest[0]} `));
    else if (asked && rest.length) return usage(`unknown command "${rest.join(" ")}"`, overview());
    else process.stdout.write(overview());
    return first === undefined ? 2 : 0;
  }
  const { command, rest: args, group } = find(argv);
  if (!command) {
    if (!group.length) return usage(`unknown command "${first}"`, overview());
    const help = args[1] === "--help" || args[1] === "-h" || args.length === 1;
    if (help && args.length <= 2 && args[1] !== undefined) {
      process.stdout.write(overview(group, `${first} `));
      return 0;
    }
    return usage(`${first}: expected one of ${group.map((c) => c.name.split(" ")[1]).join(", ")}`, overview(group, `${first} `));
  }
  try {
    await command.main(args, env);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) return usage(`${command.name}: ${err.message}`, `(see desktopd ${command.name} --help)\n`);
    process.stderr.write(`desktopd ${command.name}: ${(err as Error).message}\n`);
    return 1;
  }
}

function usage(message: string, hint: string): number {
  process.stderr.write(`desktopd: ${message}\n${hint}`);
  return 2;
}
