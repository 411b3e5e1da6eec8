/**
 * The public surface of the TypeScript client, the entry point of the
 * `@desktopd/client` package (clients/typescript): the typed client, the
 * generated DesktopService messages and enums, the computer-use mapping and
 * the VNC forwarder. Everything here runs in Node.js 20 or newer and depends on
 * Connect-ES and protobuf-es only. Optional option fields also take
 * `undefined`, so a consumer under `exactOptionalPropertyTypes` can pass a
 * message's optional field (e.g. GetDisplay's `defaultDeclaredSize`) as is.
 */
export * from "../../gen/desktop/v1/desktop_pb.js";
export { createDesktopClient, type DesktopClient, type DesktopClientOptions } from "./client.js";
export {
  type ActionRequestInit,
  COMPUTER_USE_ACTIONS,
  type ComputerUseInput,
  type ToActionRequestOptions,
  type ToolResultBlock,
  type ToolVersion,
  toActionRequest,
  toToolResult,
} from "./computer-use.js";
export { forwardVnc, type VncForward, type VncForwardOptions } from "./vnc-forward.js";
export {
  relayVncWebSocket,
  type VncWebSocketOptions,
  vncWebSocketUrl,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./vnc-websocket.js";
