/**
 * Server reflection and health, as tools use them: `buf curl` with no schema
 * (reflection, v1), a v1alpha client, and health checks without a token.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { create, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { execa } from "execa";
import { ServerReflection as ReflectionV1Alpha, ServerReflectionRequestSchema } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/health/v1/health_pb.js";
import { startTestServer, useTestServer } from "./helpers/server.js";

const code = (e: unknown) => ConnectError.from(e).code;
async function* each<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}

describe("reflection and health", () => {
  const t = useTestServer({ geometry: { width: 800, height: 600 } });
  let curl: (path: string, ...args: string[]) => Promise<string>;
  before(async () => {
    curl = async (path, ...args) =>
      (
        await execa("node_modules/.bin/buf", [
          "curl",
          "--http2-prior-knowledge",
          "-H",
          `Authorization: Bearer ${t().token}`,
          "--reflect-header",
          "*",
          ...args,
          `${t().url}${path}`,
        ])
      ).stdout;
  });

  it("buf curl lists the services and calls GetDisplay, Action and a one-frame Screenshot with no schema", async () => {
    const services = (await curl("", "--list-services")).trim().split("\n");
    assert.deepEqual(services.sort(), [
      "desktop.v1.DesktopService",
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
    ]);
    const display = JSON.parse(await curl("/desktop.v1.DesktopService/GetDisplay"));
    assert.deepEqual(display.nativeSize, { width: 800, height: 600 });
    const action = JSON.parse(await curl("/desktop.v1.DesktopService/Action", "-d", '{"mouseMove":{"coordinate":{"x":123,"y":45}}}'));
    assert.deepEqual(action.cursor, { x: 123, y: 45 });
    const shot = JSON.parse(
      await curl("/desktop.v1.DesktopService/Screenshot", "-d", '{"maxFps":0,"scaledSize":{"width":80,"height":60}}'),
    );
    assert.deepEqual([shot.image.width, shot.image.height], [80, 60]);
    assert.ok(Buffer.from(shot.image.data, "base64").subarray(1, 4).equals(Buffer.from("PNG")));
    const health = JSON.parse(
      await curl("/grpc.health.v1.Health/Check", "--protocol", "grpc", "-d", '{"service":"desktop.v1.DesktopService"}'),
    );
    assert.deepEqual(health, { status: "SERVING" });
  });

  it("reflection is behind the token", async () => {
    const r = await execa("node_modules/.bin/buf", ["curl", "--http2-prior-knowledge", "--list-services", t().url], { reject: false });
    assert.notEqual(r.exitCode, 0);
    const alpha = createClient(ReflectionV1Alpha, createGrpcTransport({ baseUrl: t().url }));
    await assert.rejects(
      (async () => {
        for await (const _ of alpha.serverReflectionInfo(
          each([create(ServerReflectionRequestSchema, { messageRequest: { case: "listServices", value: "" } })]),
        ));
      })(),
      (e) => code(e) === Code.Unauthenticated,
    );
  });

  it("v1alpha answers too: the file defining a symbol comes with its imports", async () => {
    const alpha = createClient(
      ReflectionV1Alpha,
      createGrpcTransport({
        baseUrl: t().url,
        interceptors: [
          (next) => (req) => {
            req.header.set("authorization", `Bearer ${t().token}`);
            return next(req);
          },
        ],
      }),
    );
    const reqs = [
      create(ServerReflectionRequestSchema, {
        messageRequest: { case: "fileContainingSymbol", value: "desktop.v1.DesktopService.Screenshot" },
      }),
      create(ServerReflectionRequestSchema, { messageRequest: { case: "fileByFilename", value: "no/such.proto" } }),
    ];
    const answers = [];
    for await (const res of alpha.serverReflectionInfo(each(reqs))) answers.push(res);
    assert.equal(answers[0].messageResponse.case, "fileDescriptorResponse");
    const names = (answers[0].messageResponse.value as { fileDescriptorProto: Uint8Array[] }).fileDescriptorProto.map(
      (b) => fromBinary(FileDescriptorProtoSchema, b).name,
    );
    assert.deepEqual(names.sort(), ["desktop/v1/desktop.proto", "google/protobuf/timestamp.proto"]);
    assert.equal(answers[1].messageResponse.case, "errorResponse");
  });

  it("health needs no token: SERVING for server and DesktopService, NOT_FOUND for an unknown name, NOT_SERVING at shutdown", async () => {
    const s = await startTestServer({ geometry: { width: 320, height: 240 } });
    const health = createClient(Health, createGrpcTransport({ baseUrl: s.url }));
    try {
      assert.equal((await health.check({ service: "" })).status, Status.SERVING);
      assert.equal((await health.check({ service: "desktop.v1.DesktopService" })).status, Status.SERVING);
      await assert.rejects(health.check({ service: "nope" }), (e) => code(e) === Code.NotFound);
      const watch = health.watch({ service: "" })[Symbol.asyncIterator]();
      assert.equal((await watch.next()).value?.status, Status.SERVING);
      const next = watch.next();
      void s.close();
      assert.equal((await next).value?.status, Status.NOT_SERVING);
    } finally {
      await s.close();
    }
  });
});
