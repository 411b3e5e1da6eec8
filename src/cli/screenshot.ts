/** `desktopd screenshot -o FILE [--scaled WxH]`: one frame to a file. */
import { writeFile } from "node:fs/promises";
import { extname } from "node:path";
import { parseArgs } from "node:util";
import { ImageFormat } from "../../gen/desktop/v1/desktop_pb.js";
import { parseSize } from "./args.js";
import { CLIENT_FLAGS, CLIENT_USAGE, cliClient } from "./client.js";

export const SCREENSHOT_USAGE = `desktopd screenshot -o FILE [--scaled WxH] [--url URL] [--token TOKEN]
  -o, --output  file to write; .png, .jpg/.jpeg or .webp picks the format
  --scaled    output size (default: native)
${CLIENT_USAGE}`;

const FORMATS: Record<string, ImageFormat> = {
  ".png": ImageFormat.PNG,
  ".jpg": ImageFormat.JPEG,
  ".jpeg": ImageFormat.JPEG,
  ".webp": ImageFormat.WEBP,
};

export async function screenshot(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      output: { type: "string", short: "o" },
      scaled: { type: "string" },
      ...CLIENT_FLAGS,
    },
  });
  if (!values.output) throw new Error("-o FILE is required");
  const format = FORMATS[extname(values.output).toLowerCase()];
  if (format === undefined) throw new Error(`-o: unknown image extension "${extname(values.output)}" (use .png, .jpg or .webp)`);
  const client = cliClient(values);
  const scaledSize = values.scaled ? parseSize(values.scaled, "--scaled") : undefined;
  for await (const frame of client.screenshot({ scaledSize, format })) {
    await writeFile(values.output, frame.image!.data);
    process.stderr.write(`${values.output}: ${frame.image!.width}x${frame.image!.height}\n`);
  }
}
