/**
 * Debian's headless Chromium (/usr/bin/chromium, or $CHROMIUM) driven by
 * playwright-core: no browser download. The flags keep Chromium off the
 * network (this machine's closed network refuses its background requests)
 * and out of any profile but a fresh one.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

export interface TestBrowser {
  context: BrowserContext;
  /** A new tab with the given CSS viewport size. */
  page(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

/** `ignoreHTTPSErrors`: accept the test's self-signed certificates. */
export async function launchChromium(opts: { ignoreHTTPSErrors?: boolean } = {}): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), "desktopd-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreHTTPSErrors: opts.ignoreHTTPSErrors,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    page: async (viewport = { width: 1000, height: 600 }) => {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      return page;
    },
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
