/**
 * The open connections, and who goes when there are too many. A cap on
 * connections alone lets one local process lock everyone out: 1,100 idle
 * connections held the global cap and 0 of 18 normal calls got through. So a
 * connection past `maxConnections` is not refused; the least valuable one
 * makes room:
 *
 * 1. the oldest connection that never carried a valid bearer token and has
 *    no request in flight (an idle or half-open socket);
 * 2. else the oldest such connection with requests in flight (health probes
 *    and the live view's files need no token: they are quick to redo);
 * 3. else the oldest authenticated connection with nothing in flight;
 * 4. else the new connection is dropped.
 *
 * So idle and unauthenticated connections can never starve authenticated
 * ones, and a client with the token is served as long as it sends a request
 * on its connection before a thousand newer ones push it out. Evictions are
 * logged, at most every DROP_LOG_MS.
 */
import type net from "node:net";
import type { Logger } from "pino";

/** How often an eviction or drop is logged at most, ms. */
const DROP_LOG_MS = 10_000;

/** What the table knows of one connection. */
interface Entry {
  sock: net.Socket;
  openedAt: number;
  /** A request with a valid bearer token came on it. */
  authenticated: boolean;
  /** Requests, streams or upgrades in flight. */
  busy: number;
  /** An HTTP/2 session runs on it (its session closes it at shutdown, with GOAWAY). */
  http2: boolean;
}

const ENTRY = Symbol("desktopd.connection");
type Tagged = { [ENTRY]?: Entry };

export class ConnectionTable {
  private readonly entries = new Set<Entry>();
  /** Shutting down: a connection is closed as soon as it carries no work. */
  private draining = false;
  private evicted = 0;
  private dropped = 0;
  private loggedAt = 0;

  constructor(
    private readonly maxConnections: number,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Takes a new connection, making room first (see the module comment);
   * false when it was dropped. It leaves the table when it closes.
   */
  admit(sock: net.Socket): boolean {
    if (this.entries.size >= this.maxConnections) {
      const victim = this.victim();
      if (!victim) {
        this.dropped++;
        this.log();
        sock.destroy();
        return false;
      }
      this.evicted++;
      this.log();
      this.entries.delete(victim);
      victim.sock.destroy();
    }
    const entry: Entry = { sock, openedAt: performance.now(), authenticated: false, busy: 0, http2: false };
    this.entries.add(entry);
    (sock as Tagged)[ENTRY] = entry;
    sock.once("close", () => this.entries.delete(entry));
    return true;
  }

  /**
   * The same connection seen through another socket object (the TLS socket
   * wrapping it; an HTTP/2 session's socket proxy forwards the lookup).
   */
  alias(wrapper: object, raw: object): void {
    (wrapper as Tagged)[ENTRY] = (raw as Tagged)[ENTRY];
  }

  /** An HTTP/2 session runs on the connection of `sock`. */
  http2(sock: object): void {
    const e = (sock as Tagged)[ENTRY];
    if (e) e.http2 = true;
  }

  /** A request with a valid token came on the connection of `sock`: it is never evicted for an unauthenticated one. */
  authenticated(sock: object): void {
    const e = (sock as Tagged)[ENTRY];
    if (e) e.authenticated = true;
  }

  isAuthenticated(sock: object): boolean {
    return (sock as Tagged)[ENTRY]?.authenticated ?? false;
  }

  /** Work began on the connection of `sock`; call the returned function when it ends. */
  busy(sock: object): () => void {
    const e = (sock as Tagged)[ENTRY];
    if (!e) return () => undefined;
    e.busy++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      e.busy--;
      if (this.draining && e.busy === 0 && !e.http2) e.sock.end();
    };
  }

  /**
   * Shutdown: ends every HTTP/1.1 connection (or one that has said nothing
   * yet) that carries no request or upgrade now, and each other one when its
   * last one ends; a keep-alive connection would otherwise stay open until
   * its keep-alive timeout. HTTP/2 sessions close themselves (GOAWAY).
   */
  drain(): void {
    this.draining = true;
    for (const e of this.entries) if (e.busy === 0 && !e.http2) e.sock.end();
  }

  private victim(): Entry | undefined {
    const oldest = (pick: (e: Entry) => boolean) => {
      let found: Entry | undefined;
      for (const e of this.entries) if (pick(e) && (!found || e.openedAt < found.openedAt)) found = e;
      return found;
    };
    return (
      oldest((e) => !e.authenticated && e.busy === 0) ?? oldest((e) => !e.authenticated) ?? oldest((e) => e.authenticated && e.busy === 0)
    );
  }

  private log(): void {
    const now = Date.now();
    if (now - this.loggedAt < DROP_LOG_MS) return;
    this.loggedAt = now;
    this.logger.warn(
      { maxConnections: this.maxConnections, evicted: this.evicted, dropped: this.dropped },
      "connection limit reached: the oldest idle unauthenticated connections are closed for new ones",
    );
  }
}
