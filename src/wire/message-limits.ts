/**
 * How big one RPC message may be, either way. 16 MiB: fleet routers that
 * carry streams over WebSockets cut a message above that (agent-sandbox's
 * sandbox-router; docs/deployment.md), and a gRPC client needs its receive
 * limit raised only once, to a round number. Chunked messages (file and
 * recording chunks: 1 MiB; VNC: 256 KiB) stay far below it; an image is the
 * one message that can reach it.
 */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Largest encoded image one response carries, bytes: the message limit less room for the other fields. */
export const MAX_IMAGE_BYTES = MAX_MESSAGE_BYTES - 64 * 1024;
