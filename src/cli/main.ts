#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=2
/**
 * The `desktopd` executable: the command line (src/cli/cli.ts) over this
 * process's argv and environment.
 *
 * The first line sets what only a process's start can set, for a service
 * that stays up (`npm run bench:memory`; docs/performance.md, "Memory"): glibc's fixed
 * mmap threshold (mallopt(3), M_MMAP_THRESHOLD) hands each freed frame
 * buffer (6-8 MB, from sharp/libvips' threads) back to the kernel instead of
 * keeping it in a per-thread arena, and a 2 MiB V8 semi-space collects
 * per-call garbage young instead of growing the heap: 244 -> 141 MiB RSS
 * after 10,000 Actions and 500 screenshots, for about 10 % of throughput.
 */
import { runCli } from "./cli.js";

process.exitCode = await runCli(process.argv.slice(2), process.env);
