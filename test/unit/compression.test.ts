/**
 * No compression of bytes that are already compressed: Screenshot, Action
 * (its capture), Vnc, StopRecording and DownloadFile answer uncompressed
 * whatever encodings the client offers, on every protocol, while compressible
 * responses (GetClipboard's text) keep gzip. The project's TS client offers
 * no compression for those RPCs. Lists: src/wire/incompressible.ts.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ImageFormat, ScreenshotRequestSchema } from "../../gen/desktop/v1/desktop_pb.js";
import { createDesktopClient } from "../../src/client/client.js";
import { INCOMPRESSIBLE_RESPONSES } from "../../src/wire/incompressible.js";
import { useFakeServer } from "../helpers/fake-server.js";
import { envelope, rawPost } from "../helpers/raw-http2.js";

const SERVICE = "/desktop.v1.DesktopService";

describe("response compression", () => {
  const t = useFakeServer();
  const auth = () => ({ authorization: `Bearer ${t().token}` });

  it("a Screenshot over gRPC from a client offering gzip and br: no grpc-encoding, uncompressed frames, the PNG intact", async () => {
    const req = toBinary(ScreenshotRequestSchema, create(ScreenshotRequestSchema, { format: ImageFormat.PNG }));
    const r = await rawPost(
      t().url,
      `${SERVICE}/Screenshot`,
      { ...auth(), "content-type": "application/grpc", te: "trailers", "grpc-accept-encoding": "gzip, br" },
      envelope(req),
    );
    assert.equal(r.trailers["grpc-status"], "0", JSON.stringify(r.trailers));
    assert.equal(r.headers["grpc-encoding"] ?? "identity", "identity");
    assert.equal(r.body[0], 0, "the frame's compressed flag is 0");
    assert.ok(r.body.includes(Buffer.from([0x89, 0x50, 0x4e, 0x47])), "the PNG signature is there, not gzip'd");
  });

  it("an Action with a capture over Connect (HTTP/2) with Accept-Encoding gzip: no Content-Encoding", async () => {
    const body = JSON.stringify({ cursorPosition: {}, captureAfter: { format: "IMAGE_FORMAT_PNG" } });
    const r = await rawPost(
      t().url,
      `${SERVICE}/Action`,
      { ...auth(), "content-type": "application/json", "accept-encoding": "gzip, deflate, br" },
      Buffer.from(body),
    );
    assert.equal(r.status, 200, r.body.toString());
    assert.equal(r.headers["content-encoding"], undefined);
    assert.ok(JSON.parse(r.body.toString()).screenshot, "the capture came back");
  });

  it("GetClipboard's 200 KB of text keeps gzip when the client offers it (compression where it pays)", async () => {
    await createDesktopClient({ baseUrl: t().url, token: t().token }).setClipboard({ text: "compressible text ".repeat(12_000) });
    const r = await rawPost(
      t().url,
      `${SERVICE}/GetClipboard`,
      { ...auth(), "content-type": "application/grpc", te: "trailers", "grpc-accept-encoding": "gzip" },
      envelope(new Uint8Array()),
    );
    assert.equal(r.trailers["grpc-status"], "0");
    assert.equal(r.headers["grpc-encoding"], "gzip");
    assert.ok(r.body.length < 20_000, `${r.body.length} bytes on the wire`);
  });

  it("the TS client offers no compression for those RPCs, and gzip and br for the others", async () => {
    const seen = new Map<string, string | undefined>();
    const server = http2.createServer((req, res) => {
      seen.set(req.url, req.headers["grpc-accept-encoding"] as string | undefined);
      res.writeHead(200, { "content-type": "application/grpc", "grpc-status": String(Code.Unimplemented) });
      res.end();
    });
    const sessions = new Set<http2.Http2Session>();
    server.on("session", (s) => sessions.add(s));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const { port } = server.address() as { port: number };
      const c = createDesktopClient({ baseUrl: `http://127.0.0.1:${port}`, token: "t" });
      const unimplemented = (p: Promise<unknown>) => assert.rejects(p, (e) => ConnectError.from(e).code === Code.Unimplemented);
      await unimplemented(c.getDisplay({}));
      await unimplemented(c.action({}));
      await unimplemented(
        (async () => {
          for await (const _ of c.screenshot({})) break;
        })(),
      );
      assert.match(seen.get(`${SERVICE}/GetDisplay`) ?? "", /gzip/);
      assert.equal(seen.get(`${SERVICE}/Action`), undefined);
      assert.equal(seen.get(`${SERVICE}/Screenshot`), undefined);
      assert.deepEqual([...INCOMPRESSIBLE_RESPONSES].map((p) => p.split("/").pop()).sort(), [
        "Action",
        "DownloadFile",
        "Screenshot",
        "StopRecording",
        "Vnc",
      ]);
    } finally {
      for (const s of sessions) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});
