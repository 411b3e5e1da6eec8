/**
 * The PortableDesktop backend's mouse and keyboard: one CLI command per
 * step (src/desktop/portable/commands.ts). Positional values go after `--`;
 * modifiers and buttons are released even when a command fails, and a key
 * counts as held before its command returns (a command cancelled or failed
 * after the CLI pressed the key would otherwise leave it down).
 */
import type { DesktopInput, MouseButton } from "../desktop.js";
import type { Point } from "../geometry.js";
import { type Key, LOCK_MASK } from "../keys.js";
import type { SessionCommands } from "./commands.js";
import { TYPE_MS_PER_CHAR } from "./options.js";

export class CliInput implements DesktopInput {
  constructor(
    private readonly cmd: SessionCommands,
    private readonly requestTimeoutMs: number,
  ) {}

  async move(p: Point, signal?: AbortSignal): Promise<void> {
    await this.cmd.input(["mouse", "move"], [String(p.x), String(p.y)], signal);
  }

  async click(button: MouseButton, count: number, at?: Point, modifiers: Key[] = [], signal?: AbortSignal): Promise<void> {
    if (at) await this.move(at, signal);
    await this.holding(
      modifiers,
      async () => {
        for (let i = 0; i < count; i++) await this.cmd.input(["mouse", "click", button], [], signal);
      },
      signal,
    );
  }

  async buttonDown(button: MouseButton, signal?: AbortSignal): Promise<void> {
    try {
      await this.cmd.input(["mouse", "down", button], [], signal);
    } catch (err) {
      // Cancelled or failed, the CLI may still have pressed it: a failed call holds nothing.
      await this.buttonUp(button).catch(() => undefined);
      throw err;
    }
  }

  async buttonUp(button: MouseButton): Promise<void> {
    await this.cmd.run(["mouse", "up", button]);
  }

  async scroll(at: Point | undefined, dx: number, dy: number, modifiers: Key[] = [], signal?: AbortSignal): Promise<void> {
    if (at) await this.move(at, signal);
    await this.holding(modifiers, () => this.cmd.input(["mouse", "scroll"], [String(dx), String(dy)], signal), signal);
  }

  async drag(from: Point, to: Point, signal?: AbortSignal): Promise<void> {
    await this.move(from, signal);
    await this.buttonDown("left", signal);
    try {
      await this.move(to, signal);
    } finally {
      await this.buttonUp("left");
    }
  }

  async keyPress(combo: Key[], signal?: AbortSignal): Promise<void> {
    await this.cmd.input(["keyboard", "key"], [combo.map((k) => k.name).join("+")], signal);
  }

  async keyDown(combo: Key[], signal?: AbortSignal): Promise<void> {
    const held: Key[] = [];
    try {
      for (const k of combo) {
        held.push(k);
        await this.cmd.input(["keyboard", "down"], [k.name], signal);
      }
    } catch (err) {
      // A combo is held whole or not at all.
      await this.keyUp(held).catch(() => undefined);
      throw err;
    }
  }

  async keyUp(combo: Key[]): Promise<void> {
    // Release every key even if one release fails; report the first failure.
    let first: unknown;
    for (const k of [...combo].reverse()) await this.cmd.run(["keyboard", "up"], [k.name]).catch((err) => (first ??= err));
    if (first) throw first;
  }

  /**
   * The CLI types at its own pace: its time limit grows with the text
   * (TYPE_MS_PER_CHAR). Caps Lock would turn the letters' case: off while
   * typing, then as it was (seen on the joined display only).
   */
  async type(text: string, signal?: AbortSignal): Promise<void> {
    const typing = () => this.cmd.input(["keyboard", "type"], [text], signal, this.requestTimeoutMs + text.length * TYPE_MS_PER_CHAR);
    const x = this.cmd.x;
    if (!x || ((await x.pointer()).buttonMask & LOCK_MASK) === 0) return typing();
    // down and up, not `key`: the CLI's `key` clears modifiers (Caps Lock among them) around the key.
    const toggle = async (sig?: AbortSignal) => {
      await this.cmd.input(["keyboard", "down"], ["Caps_Lock"], sig);
      await this.cmd.run(["keyboard", "up"], ["Caps_Lock"]);
    };
    await toggle(signal);
    try {
      await typing();
    } finally {
      await toggle();
    }
  }

  /** Runs `fn` with `keys` held; they are released whatever `fn` does. */
  private async holding(keys: Key[], fn: () => Promise<unknown>, signal?: AbortSignal): Promise<void> {
    if (keys.length === 0) {
      await fn();
      return;
    }
    const held: Key[] = [];
    try {
      for (const k of keys) {
        held.push(k); // as in keyDown: released even if its command is cancelled
        await this.cmd.input(["keyboard", "down"], [k.name], signal);
      }
      await fn();
    } finally {
      await this.keyUp(held);
    }
  }
}
