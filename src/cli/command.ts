/**
 * Commands and their settings as one table each, over node:util parseArgs:
 * a setting is a flag, an environment variable, or both, with a default and a
 * parser. The same table gives the typed values (flag, then environment,
 * then default, each error naming where the bad value came from) and the
 * `--help` text, so usage cannot drift from what is parsed.
 */
import { parseArgs } from "node:util";

/** The environment a command reads: process.env, or a spec's own object. */
export type Env = NodeJS.ProcessEnv;

export interface Setting<T> {
  /** Flag name without "--"; an environment-only setting has none. */
  flag?: string;
  /** One-letter alias ("o" for -o). */
  short?: string;
  /** Placeholder for the value in help ("HOST:PORT"); boolean flags have none. */
  value?: string;
  /** Environment variable consulted when the flag is absent. */
  env?: string;
  /** Default as it would be typed, parsed like any other value. */
  default?: string;
  /** How the default reads in help when it is not a fixed value ("generated"). */
  defaultHelp?: string;
  /** The flag may repeat; values come in order. */
  multiple?: boolean;
  help: string;
  /** Raw text (a list for a repeatable flag) -> value; throws Error naming `source` ("--listen", "DESKTOPD_LISTEN"). */
  parse(raw: string | string[] | undefined, source: string): T;
}

type Spec = Omit<Setting<unknown>, "parse" | "multiple">;

/** A setting holding text; `parse` checks and converts it (default: as is). */
export function text(spec: Spec & { default: string; parse?: undefined }): Setting<string>;
export function text(spec: Spec & { parse?: undefined }): Setting<string | undefined>;
export function text<T>(spec: Spec & { default: string; parse: (raw: string, source: string) => T }): Setting<T>;
export function text<T>(spec: Spec & { parse: (raw: string, source: string) => T }): Setting<T | undefined>;
export function text<T>(spec: Spec & { parse?: (raw: string, source: string) => T }): Setting<T | string | undefined> {
  const parse = spec.parse ?? ((raw: string) => raw);
  return { value: "VALUE", ...spec, parse: (raw, source) => (typeof raw === "string" ? parse(raw, source) : undefined) };
}

/** A repeatable flag; no environment variable. */
export function list<T = string>(spec: Spec & { parse?: (raw: string, source: string) => T }): Setting<T[]> {
  const parse = spec.parse ?? ((raw: string) => raw as T);
  return { value: "VALUE", ...spec, multiple: true, parse: (raw, source) => (Array.isArray(raw) ? raw.map((r) => parse(r, source)) : []) };
}

/** A boolean flag, false unless given. */
export function flag(spec: Omit<Spec, "value" | "default" | "env">): Setting<boolean> {
  return { ...spec, parse: (raw) => raw === "true" };
}

/** A value from a fixed set. */
export function oneOf<const C extends string>(choices: readonly C[], spec: Spec & { default: string }): Setting<C> {
  return text({
    ...spec,
    value: choices.join("|"),
    parse: (raw, source) => {
      if (!(choices as readonly string[]).includes(raw)) throw new Error(`${source}: expected ${choices.join(", ")}, got "${raw}"`);
      return raw as C;
    },
  });
}

export type Settings = Record<string, Setting<unknown>>;
export type Values<S extends Settings> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

/** A usage mistake: main prints it with a pointer to --help and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export interface CommandSpec<S extends Settings> {
  /** "serve", or a command and subcommand: "record start". */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** More about it, under the usage line. */
  description?: string;
  /** Positional arguments in the usage line ("FILE..."); none are accepted without it. */
  args?: string;
  settings: S;
  run(values: Values<S>, ctx: { positionals: string[]; env: Env }): Promise<void>;
}

/** A command as main.ts sees it: names, help, and a way to run it. */
export interface Command {
  name: string;
  summary: string;
  help(): string;
  main(argv: string[], env: Env): Promise<void>;
}

export function defineCommand<S extends Settings>(spec: CommandSpec<S>): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    help: () => helpText(spec),
    main: async (argv, env) => {
      const { values, positionals, help } = parse(spec, argv, env);
      if (help) {
        process.stdout.write(helpText(spec));
        return;
      }
      await spec.run(values, { positionals, env });
    },
  };
}

/** Typed values of `settings` from `argv` and `env`; `help` when -h/--help was given. */
export function parse<S extends Settings>(
  spec: Pick<CommandSpec<S>, "name" | "settings" | "args">,
  argv: string[],
  env: Env,
): { values: Values<S>; positionals: string[]; help: boolean } {
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {
    help: { type: "boolean", short: "h" },
  };
  for (const s of Object.values(spec.settings)) {
    if (!s.flag) continue;
    options[s.flag] = { type: s.value ? "string" : "boolean", ...(s.short && { short: s.short }), ...(s.multiple && { multiple: true }) };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: spec.args !== undefined, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional argument.*$/s, "")}`);
  }
  const values: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(spec.settings)) {
    const given = s.flag ? parsed.values[s.flag] : undefined;
    const fromEnv = s.env ? env[s.env] || undefined : undefined;
    try {
      if (given !== undefined) values[key] = s.parse(Array.isArray(given) ? given.map(String) : String(given), `--${s.flag}`);
      else if (fromEnv !== undefined) values[key] = s.parse(fromEnv, s.env as string);
      else values[key] = s.parse(s.default, s.flag ? `--${s.flag}` : (s.env ?? key));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  return { values: values as Values<S>, positionals: parsed.positionals, help: parsed.values.help === true };
}

/** `desktopd <name> --help`, generated from the settings table. */
export function helpText(spec: Pick<CommandSpec<Settings>, "name" | "summary" | "description" | "args" | "settings">): string {
  const all = Object.values(spec.settings);
  const flags = all.filter((s) => s.flag);
  const envOnly = all.filter((s) => !s.flag && s.env);
  const lines = [
    `usage: desktopd ${spec.name}${flags.length ? " [options]" : ""}${spec.args ? ` ${spec.args}` : ""}`,
    "",
    `${spec.summary}`,
  ];
  if (spec.description) lines.push("", ...wrap(spec.description, 78));
  const row = (left: string, s: Setting<unknown>) => {
    const notes = [
      s.flag && s.env ? `env ${s.env}` : undefined,
      s.defaultHelp ? `default ${s.defaultHelp}` : s.default !== undefined ? `default ${s.default}` : undefined,
      s.multiple ? "repeatable" : undefined,
    ].filter(Boolean);
    const body = wrap(notes.length ? `${s.help} (${notes.join("; ")})` : s.help, 50).map((b) => `  ${"".padEnd(26)}${b}`);
    // A long name gets a line of its own.
    if (left.length > 24) return [`  ${left}`, ...body].join("\n");
    return [`  ${left.padEnd(26)}${body[0].trimStart()}`, ...body.slice(1)].join("\n");
  };
  if (flags.length) {
    lines.push("", "options:");
    for (const s of flags) lines.push(row(`${s.short ? `-${s.short}, ` : ""}--${s.flag}${s.value ? ` ${s.value}` : ""}`, s));
    lines.push(row("-h, --help", { help: "this help", parse: () => undefined }));
  }
  if (envOnly.length) {
    lines.push("", "environment:");
    for (const s of envOnly) lines.push(row(s.env as string, s));
  }
  return `${lines.join("\n")}\n`;
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}
