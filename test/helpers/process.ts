/** Waiting and process checks shared by the specs. */
export { alive } from "../../src/desktop/portable/portable.js";

/** Polls `fn` every 100 ms until it returns a value (errors count as not yet); throws after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}
