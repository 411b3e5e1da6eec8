/** `desktopd upload LOCAL REMOTE` and `desktopd download REMOTE LOCAL`: one file each way, with progress. */
import { createReadStream } from "node:fs";
import { open, rename, rm, stat } from "node:fs/promises";
import { CLIENT_SETTINGS, cliClient } from "./client.js";
import { defineCommand, UsageError } from "./command.js";
import { progressBar } from "./progress.js";

/** Chunk size of an upload, bytes (the service takes at most 1 MiB per message). */
const CHUNK = 1024 * 1024;

/** The two paths a transfer takes, or a UsageError showing `usage`. */
function twoPaths(positionals: string[], usage: string): [string, string] {
  const [a, b] = positionals;
  if (!a || !b || positionals.length !== 2) throw new UsageError(`usage: desktopd ${usage} (REMOTE relative to the file root)`);
  return [a, b];
}

export const upload = defineCommand({
  name: "upload",
  summary: "copy a local file to the desktop's file root, with progress",
  args: "LOCAL REMOTE",
  settings: { ...CLIENT_SETTINGS },
  async run(values, { positionals, env }) {
    const [local, remote] = twoPaths(positionals, "upload LOCAL REMOTE");
    const total = (await stat(local)).size;
    const progress = progressBar(process.stderr);
    let sent = 0;
    async function* messages() {
      yield { path: remote, data: new Uint8Array() };
      for await (const chunk of createReadStream(local, { highWaterMark: CHUNK })) {
        sent += (chunk as Buffer).length;
        progress(sent, total);
        yield { data: chunk as Buffer };
      }
    }
    const res = await cliClient(values, env).uploadFile(messages());
    if (total === 0) progress(0, 0);
    process.stderr.write(`${res.file?.path}: ${res.file?.size} bytes\n`);
  },
});

export const download = defineCommand({
  name: "download",
  summary: "copy a file from the desktop's file root to a local file, with progress",
  args: "REMOTE LOCAL",
  settings: { ...CLIENT_SETTINGS },
  async run(values, { positionals, env }) {
    const [remote, local] = twoPaths(positionals, "download REMOTE LOCAL");
    const part = `${local}.part`;
    const fh = await open(part, "w", 0o600);
    const progress = progressBar(process.stderr);
    let total = 0;
    let received = 0;
    let done = false;
    try {
      for await (const m of cliClient(values, env).downloadFile({ path: remote })) {
        if (m.part.case === "info") {
          total = Number(m.part.value.size);
          await fh.chmod(m.part.value.mode || 0o644);
        } else if (m.part.case === "chunk") {
          await fh.write(m.part.value);
          received += m.part.value.length;
          progress(received, total);
        }
      }
      await fh.close();
      await rename(part, local);
      done = true;
      process.stderr.write(`${local}: ${received} bytes\n`);
    } finally {
      if (!done) {
        await fh.close().catch(() => undefined);
        await rm(part, { force: true });
      }
    }
  },
});
