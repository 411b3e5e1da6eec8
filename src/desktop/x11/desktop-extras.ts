/**
 * What both backends do the same way once they have an X connection to the
 * desktop's display: the clipboard (src/desktop/x11/clipboard.ts) and the
 * window list and requests (src/desktop/x11/windows.ts). A backend says how
 * to reach its display; the Desktop methods live here once.
 */
import type { Key } from "../keys.js";
import { startedBy } from "../process.js";
import type { Clipboard, SelectionName } from "./clipboard.js";
import { PASTE_KEYS } from "./clipboard.js";
import type { X11Connection } from "./connection.js";
import { activateManaged, closeManaged, listWindows, type WindowInfo } from "./windows.js";

export abstract class X11DesktopExtras {
  /** The clipboard on the running desktop's display (its own connection). */
  protected abstract clipboard(): Promise<Clipboard>;
  /** A connection to the running desktop's display, for window requests. */
  protected abstract windowConnection(): Promise<X11Connection>;
  abstract keyPress(combo: Key[], signal?: AbortSignal): Promise<void>;
  /** The leaders of the process groups the running desktop started (CloseWindow kills no other process). */
  protected abstract ownProcesses(): Promise<number[]>;

  async getClipboard(selection: SelectionName, signal?: AbortSignal): Promise<string> {
    return (await this.clipboard()).get(selection, signal);
  }

  async setClipboard(text: string, selection: SelectionName): Promise<void> {
    await (await this.clipboard()).set(text, selection);
  }

  async paste(text: string, signal?: AbortSignal): Promise<void> {
    await (await this.clipboard()).paste(text, () => this.keyPress(PASTE_KEYS, signal));
  }

  async windows(): Promise<WindowInfo[]> {
    return listWindows(await this.windowConnection());
  }

  async activateWindow(id: number): Promise<void> {
    await activateManaged(await this.windowConnection(), id);
  }

  async closeWindow(id: number, killAfterMs: number): Promise<{ killed: boolean }> {
    const x = await this.windowConnection();
    const ours = new Set<number>();
    for (const pid of await this.ownProcesses()) ours.add(pid);
    return closeManaged(x, id, killAfterMs, (pid) => startedBy(pid, ours));
  }
}
