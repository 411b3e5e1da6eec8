#!/usr/bin/env node
/** The `desktopd` executable: the command line (src/cli/cli.ts) over this process's argv and environment. */
import { runCli } from "./cli.js";

process.exitCode = await runCli(process.argv.slice(2), process.env);
