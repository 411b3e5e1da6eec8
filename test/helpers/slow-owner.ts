/**
 * A hostile clipboard owner for specs: an X client that owns CLIPBOARD and
 * hands its text over in INCR chunks (ICCCM 2.7.2) of `chunkBytes`, each
 * `everyMs` after the requestor asked for it. It counts how often a
 * requestor asks for another chunk (deletes the property), so a spec can
 * see whether a reader stopped.
 */
import type { XEvent } from "x11";
import { X11Connection } from "../../src/desktop/x11/connection.js";

const PROPERTY_CHANGE_MASK = 0x400000;
const PROPERTY_DELETED = 1;

type Ev = XEvent & {
  name: string;
  requestor?: number;
  selection?: number;
  target?: number;
  property?: number;
  wid?: number;
  atom?: number;
  state?: number;
  time?: number;
};

export class SlowIncrOwner {
  /** Times a requestor asked for the next chunk. */
  asked = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(private readonly x: X11Connection) {}

  static async start(
    display: string,
    cookie: string,
    opts: { bytes: number; chunkBytes: number; everyMs: number },
  ): Promise<SlowIncrOwner> {
    const x = await X11Connection.connect(display, cookie);
    const owner = new SlowIncrOwner(x);
    const [clipboard, incr, utf8] = await Promise.all(["CLIPBOARD", "INCR", "UTF8_STRING"].map((n) => x.atom(n)));
    const text = Buffer.alloc(opts.bytes, "s");
    const transfers = new Map<string, number>();
    let window = 0;
    x.send((X) => {
      window = X.AllocID();
      X.CreateWindow(window, x.root, 0, 0, 1, 1, 0, 0, 0, 0, {});
      X.SetSelectionOwner(window, clipboard, 0);
    });
    await x.sync();
    x.onEvent((raw) => {
      const ev = raw as Ev;
      if (ev.name === "SelectionRequest" && ev.requestor && ev.property) {
        const { requestor, property, selection, target, time } = ev;
        transfers.set(`${requestor}:${property}`, 0);
        x.send((X) => {
          X.ChangeWindowAttributes(requestor, { eventMask: PROPERTY_CHANGE_MASK });
          X.ChangeProperty(0, requestor, property, incr, 32, [text.length]);
          X.SendEvent(requestor, 0, 0, { name: "SelectionNotify", time, requestor, selection, target, property });
        });
      } else if (ev.name === "PropertyNotify" && ev.state === PROPERTY_DELETED) {
        const key = `${ev.wid}:${ev.atom}`;
        const offset = transfers.get(key);
        if (offset === undefined || ev.wid === undefined || ev.atom === undefined) return;
        owner.asked++;
        const { wid, atom } = ev;
        const timer = setTimeout(() => {
          owner.timers.delete(timer);
          const chunk = text.subarray(offset, offset + opts.chunkBytes);
          transfers.set(key, offset + chunk.length);
          x.send((X) => X.ChangeProperty(0, wid, atom, utf8, 8, chunk));
        }, opts.everyMs);
        owner.timers.add(timer);
      }
    });
    return owner;
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.x.close();
  }
}
