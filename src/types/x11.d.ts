/**
 * Types for the part of the `x11` package (npm x11, which ships none) that
 * desktopd and its specs use. Requests follow the X11 protocol
 * (https://www.x.org/releases/current/doc/xproto/x11protocol.html) and its
 * extensions XTEST, XFIXES, MIT-SHM, DAMAGE and X-Resource; replies come to node-style callbacks.
 */
declare module "x11" {
  import type { EventEmitter } from "node:events";

  export type Callback<T> = (err: unknown, reply: T) => void;

  export interface Screen {
    root: number;
    pixel_width: number;
    pixel_height: number;
  }

  export interface Display {
    client: XClient;
    screen: Screen[];
    min_keycode: number;
    max_keycode: number;
    /** This connection's XID range: resource_base with bits of resource_mask (X11 protocol, connection setup). */
    resource_base: number;
    resource_mask: number;
  }

  /** A core input event as the client emits it ("event"). */
  export interface XEvent {
    name?: string;
    type: number;
    keycode: number;
    rootx: number;
    rooty: number;
    buttons: number;
  }

  export interface PointerReply {
    rootX: number;
    rootY: number;
    keyMask: number;
  }

  export interface XTest {
    /** XTEST FakeInput: type (2 KeyPress .. 6 MotionNotify), detail, time, root, x, y. */
    FakeInput(type: number, detail: number, time: number, root: number, x: number, y: number): void;
  }

  export interface CursorImage {
    x: number;
    y: number;
    width: number;
    height: number;
    xhot: number;
    yhot: number;
    /** Premultiplied ARGB32, little-endian, width * height pixels. */
    cursorImage: Buffer;
  }

  export interface XFixes {
    QueryVersion(major: number, minor: number, cb: Callback<unknown>): void;
    GetCursorImage(cb: Callback<CursorImage>): void;
  }

  export interface ShmSegment {
    /** The shared memory, as a Buffer; a GetImage fills its start. */
    buffer: Buffer;
    getImage(
      drawable: number,
      x: number,
      y: number,
      width: number,
      height: number,
      planeMask: number,
      format: number,
      offset: number,
      cb: Callback<{ size: number }>,
    ): void;
  }

  export interface Shm {
    usable(cb: Callback<boolean>): void;
    createSegment(size: number, cb: Callback<ShmSegment>): void;
  }

  /** DAMAGE (https://www.x.org/releases/current/doc/damageproto/damageproto.txt). */
  export interface Damage {
    ReportLevel: { RawRectangles: 0; DeltaRectangles: 1; BoundingBox: 2; NonEmpty: 3 };
    Create(damage: number, drawable: number, level: number): void;
    Destroy(damage: number): void;
    /** repair and parts: region ids, 0 (None) to empty the damage. */
    Subtract(damage: number, repair: number, parts: number): void;
  }

  /** A DamageNotify event: the damaged area of `drawable`. */
  export interface DamageNotify {
    name: "DamageNotify";
    damage: number;
    drawable: number;
    area: { x: number; y: number; w: number; h: number };
  }

  /** X-Resource 1.2 (https://www.x.org/releases/current/doc/resourceproto/resproto.txt). */
  export interface XRes {
    ClientIdMask: { ClientXID: 1; LocalClientPID: 2 };
    /** `client`: any XID of the client (a window it made); `value` holds the pid for LocalClientPID. */
    /** Every client of the server, as its XID range. */
    QueryClients(cb: Callback<{ resourceBase: number; resourceMask: number }[]>): void;
    QueryClientIds(specs: { client: number; mask: number }[], cb: Callback<{ client: number; mask: number; value: number[] }[]>): void;
  }

  export interface Extensions {
    xtest: XTest;
    fixes: XFixes;
    shm: Shm;
    damage: Damage;
    res: XRes;
  }

  export interface WindowAttributes {
    backgroundPixel?: number;
    overrideRedirect?: boolean;
    eventMask?: number;
  }

  export interface XClient extends EventEmitter {
    /** Interned atoms by name and names by atom, shared by every connection in the process. */
    atoms: Record<string, number>;
    atom_names: Record<number, string>;
    require<K extends keyof Extensions>(name: K, cb: Callback<Extensions[K]>): void;
    terminate(): void;
    AllocID(): number;
    InternAtom(onlyIfExists: boolean, name: string, cb: Callback<number>): void;
    GetProperty(
      del: number,
      window: number,
      property: number,
      type: number,
      longOffset: number,
      longLength: number,
      cb: Callback<{ type: number; format: number; bytesAfter: number; data?: Buffer }>,
    ): void;
    GetGeometry(drawable: number, cb: Callback<{ xPos: number; yPos: number; width: number; height: number; borderWidth: number }>): void;
    TranslateCoordinates(
      src: number,
      dst: number,
      x: number,
      y: number,
      cb: Callback<{ child: number; destX: number; destY: number }>,
    ): void;
    SetSelectionOwner(owner: number, selection: number, time: number): void;
    GetSelectionOwner(selection: number, cb: Callback<number>): void;
    ConvertSelection(requestor: number, selection: number, target: number, property: number, time: number): void;
    /** mode 0 replace, 1 prepend, 2 append; format 8, 16 or 32. */
    ChangeProperty(mode: number, window: number, property: number, type: number, format: number, data: Buffer | number[]): void;
    DeleteProperty(window: number, property: number): void;
    /** `event`: an event object as the parsers produce it (name and fields), packed to 32 bytes. */
    SendEvent(destination: number, propagate: number, eventMask: number, event: Record<string, unknown>): void;
    /** A ClientMessage about `wid` sent to `destination` (EWMH: the root, with SubstructureRedirect|SubstructureNotify). */
    SendClientMessage(destination: number, wid: number, messageType: number, format: number, data: number[], eventMask?: number): void;
    QueryTree(window: number, cb: Callback<{ root: number; parent: number; children: number[] }>): void;
    GetInputFocus(cb: Callback<{ focus: number }>): void;
    SetInputFocus(window: number, revertTo: number): void;
    QueryPointer(window: number, cb: Callback<PointerReply>): void;
    GetImage(
      format: number,
      drawable: number,
      x: number,
      y: number,
      width: number,
      height: number,
      planeMask: number,
      cb: Callback<{ data: Buffer }>,
    ): void;
    GetKeyboardMapping(first: number, count: number, cb: Callback<number[][]>): void;
    ChangeKeyboardMapping(first: number, perKeycode: number, keysyms: number[]): void;
    /** Keycodes per modifier (Shift, Lock, Control, Mod1..Mod5), 0 for none. */
    GetModifierMapping(cb: Callback<number[][]>): void;
    /** Replies 0 Success, 1 Busy (a key of a changed modifier is down), 2 Failed. */
    SetModifierMapping(rows: number[][], cb: Callback<number>): void;
    /** 32 bytes: bit k set while keycode k is down. */
    QueryKeymap(cb: Callback<Buffer>): void;
    /** Closes the connection of the client that owns `resource` (an XID of its range). */
    KillClient(resource: number): void;
    CreateWindow(
      id: number,
      parent: number,
      x: number,
      y: number,
      width: number,
      height: number,
      borderWidth: number,
      depth: number,
      windowClass: number,
      visual: number,
      attributes: WindowAttributes,
    ): void;
    MapWindow(window: number): void;
    RaiseWindow(window: number): void;
    DestroyWindow(window: number): void;
    ChangeWindowAttributes(window: number, attributes: WindowAttributes): void;
    ClearArea(window: number, x: number, y: number, width: number, height: number, exposures: number): void;
    GrabKeyboard(window: number, ownerEvents: number, time: number, pointerMode: number, keyboardMode: number, cb: Callback<number>): void;
  }

  export interface ClientOptions {
    display: string;
    auth?: { name: string; data: string };
  }

  const x11: {
    createClient(opts: ClientOptions, cb: Callback<Display>): XClient;
    eventMask: Record<"KeyPress" | "KeyRelease" | "ButtonPress" | "ButtonRelease" | "PointerMotion" | "Exposure", number>;
  };
  export default x11;
}
