/** `desktopd screenshot -o FILE [--scaled WxH]`: one frame to a file. */
import { writeFile } from "node:fs/promises";
import { extname } from "node:path";
import { ImageFormat } from "../../gen/desktop/v1/desktop_pb.js";
import { CLIENT_SETTINGS, cliClient } from "./client.js";
import { defineCommand, text, UsageError } from "./command.js";
import { parseSize } from "./settings.js";

const FORMATS: Record<string, ImageFormat> = {
  ".png": ImageFormat.PNG,
  ".jpg": ImageFormat.JPEG,
  ".jpeg": ImageFormat.JPEG,
  ".webp": ImageFormat.WEBP,
};

export const screenshot = defineCommand({
  name: "screenshot",
  summary: "write one frame of the desktop to a file",
  settings: {
    output: text({
      flag: "output",
      short: "o",
      value: "FILE",
      help: "file to write; .png, .jpg/.jpeg or .webp picks the format (required)",
    }),
    scaled: text({ flag: "scaled", value: "WxH", defaultHelp: "the native size", help: "output size", parse: parseSize }),
    ...CLIENT_SETTINGS,
  },
  async run(values, { env }) {
    const { output, scaled: scaledSize } = values;
    if (!output) throw new UsageError("-o FILE is required");
    const format = FORMATS[extname(output).toLowerCase()];
    if (format === undefined) throw new UsageError(`-o: unknown image extension "${extname(output)}" (use .png, .jpg or .webp)`);
    const client = cliClient(values, env);
    for await (const frame of client.screenshot({ scaledSize, format })) {
      if (!frame.image) continue;
      await writeFile(output, frame.image.data);
      process.stderr.write(`${output}: ${frame.image.width}x${frame.image.height}\n`);
    }
  },
});
