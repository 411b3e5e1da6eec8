/**
 * The server's defaults, in a module of their own: the command line reads
 * them without loading the server.
 */
export const DEFAULTS = { host: "127.0.0.1", port: 7000, shutdownGraceMs: 2000 };
