/** `desktopd clipboard get|set` and `desktopd open CMD...`: the clipboard and applications from a shell. */
import { Selection } from "../../gen/desktop/v1/desktop_pb.js";
import { CLIENT_SETTINGS, cliClient } from "./client.js";
import { defineCommand, flag, UsageError } from "./command.js";

const SELECTION = { primary: flag({ flag: "primary", help: "the PRIMARY selection instead of CLIPBOARD" }) };

/** Standard input, whole, as UTF-8. */
async function stdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of process.stdin) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString("utf8");
}

export const clipboardGet = defineCommand({
  name: "clipboard get",
  summary: "print the desktop's clipboard text",
  settings: { ...SELECTION, ...CLIENT_SETTINGS },
  async run(values, { env }) {
    const res = await cliClient(values, env).getClipboard({ selection: values.primary ? Selection.PRIMARY : Selection.CLIPBOARD });
    process.stdout.write(res.text);
  },
});

export const clipboardSet = defineCommand({
  name: "clipboard set",
  summary: "put text on the desktop's clipboard (the argument, or standard input)",
  args: "[TEXT]",
  settings: { ...SELECTION, ...CLIENT_SETTINGS },
  async run(values, { positionals, env }) {
    if (positionals.length > 1) throw new UsageError('quote the text as one argument: desktopd clipboard set "some text"');
    const text = positionals[0] ?? (await stdin());
    await cliClient(values, env).setClipboard({ text, selection: values.primary ? Selection.PRIMARY : Selection.CLIPBOARD });
  },
});

export const openApp = defineCommand({
  name: "open",
  summary: "start a program on the desktop (argv, no shell); prints its pid",
  args: "-- CMD [ARG...]",
  settings: { ...CLIENT_SETTINGS },
  async run(values, { positionals, env }) {
    if (positionals.length === 0) throw new UsageError("usage: desktopd open -- CMD [ARG...]");
    const res = await cliClient(values, env).launchApplication({ argv: positionals });
    process.stdout.write(`${res.pid}\n`);
  },
});

export const reset = defineCommand({
  name: "reset",
  summary: "return the desktop to a clean state (apps and recordings gone, the display fresh); prints each part's time",
  settings: {
    ...CLIENT_SETTINGS,
    newXServer: flag({ flag: "new-x-server", help: "start a new X server instead of cleaning the running one in place" }),
  },
  async run(values, { env }) {
    const res = await cliClient(values, env).reset({ newXServer: values.newXServer });
    const ms = (us: bigint) => `${(Number(us) / 1000).toFixed(1)} ms`;
    for (const s of res.steps) process.stdout.write(`${s.name.padEnd(14)} ${ms(s.durationUs).padStart(10)}  ${s.detail}\n`);
    process.stdout.write(`${"total".padEnd(14)} ${ms(res.totalUs).padStart(10)}${res.why ? `  new X server: ${res.why}` : ""}\n`);
  },
});
