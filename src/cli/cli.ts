/**
 * The `desktopd` command line: finds the command named by the first words of
 * argv (`serve`, `record start`, ...) and runs it. `--help` works for every
 * command, `desktopd help [command]` too. Exit codes: 0 done, 1 failed, 2 a
 * usage mistake.
 */

import { type Command, type Env, UsageError } from "./command.js";

/**
 * A command as the list knows it: name and summary (the command's own, a
 * spec checks), and how to load it. A command's module, and what it imports,
 * is loaded only to run it or show its help: `desktopd health` (Docker runs
 * it every few seconds) must not load the server.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export const COMMANDS: CommandEntry[] = [
  {
    name: "serve",
    summary: "serve one desktop over Connect, gRPC and gRPC-Web until SIGINT/SIGTERM",
    load: async () => (await import("./serve.js")).serve,
  },
  {
    name: "screenshot",
    summary: "write one frame of the desktop to a file",
    load: async () => (await import("./screenshot.js")).screenshot,
  },
  {
    name: "record start",
    summary: "start (or continue) a screen recording; prints its id",
    load: async () => (await import("./record.js")).recordStart,
  },
  {
    name: "record stop",
    summary: "stop a recording and download the MP4 (and its JPEG thumbnail), with progress",
    load: async () => (await import("./record.js")).recordStop,
  },
  {
    name: "upload",
    summary: "copy a local file to the desktop's file root, with progress",
    load: async () => (await import("./files.js")).upload,
  },
  {
    name: "download",
    summary: "copy a file from the desktop's file root to a local file, with progress",
    load: async () => (await import("./files.js")).download,
  },
  {
    name: "clipboard get",
    summary: "print the desktop's clipboard text",
    load: async () => (await import("./desktop-commands.js")).clipboardGet,
  },
  {
    name: "clipboard set",
    summary: "put text on the desktop's clipboard (the argument, or standard input)",
    load: async () => (await import("./desktop-commands.js")).clipboardSet,
  },
  {
    name: "open",
    summary: "start a program on the desktop (argv, no shell); prints its pid",
    load: async () => (await import("./desktop-commands.js")).openApp,
  },
  {
    name: "reset",
    summary: "return the desktop to a clean state (apps and recordings gone, the display fresh); prints each part's time",
    load: async () => (await import("./desktop-commands.js")).reset,
  },
  {
    name: "vnc-forward",
    summary: "a local port for VNC viewers, each connection one Vnc call to the service",
    load: async () => (await import("./vnc-forward.js")).vncForward,
  },
  {
    name: "health",
    summary: "exit 0 when the local service is ready (GET /readyz), 1 when not: for HEALTHCHECK",
    load: async () => (await import("./health.js")).health,
  },
  {
    name: "portabledesktop fetch",
    summary: "download the portabledesktop release into the cache and print its path",
    load: async () => (await import("./portabledesktop.js")).portabledesktopFetch,
  },
];

function overview(commands: CommandEntry[] = COMMANDS, prefix = ""): string {
  const rows = commands.map((c) => `  ${c.name.padEnd(24)}${c.summary}`);
  const usage = `desktopd ${prefix}<command> [options]`;
  return `usage: ${usage}\n\ncommands:\n${rows.join("\n")}\n\n\`desktopd ${prefix}<command> --help\` shows a command's options.\n`;
}

/** The command `words` name, and the words after its name. */
function find(words: string[]): { command?: CommandEntry; rest: string[]; group: CommandEntry[] } {
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
    if (asked?.command) process.stdout.write((await asked.command.load()).help());
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
    await (await command.load()).main(args, env);
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
