/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha), so `buf curl`,
 * grpcurl and similar tools need no schema: they list the services and fetch
 * the FileDescriptorProtos (each with its dependencies) from the server.
 * Built on protobuf-es descriptors of the generated code. The two versions are
 * the same messages in different packages, so v1alpha is served by
 * re-reading its bytes as v1.
 *
 * Written here because Connect-ES has no reflection service yet
 * (https://github.com/connectrpc/connect-es/issues/507). The protocol:
 * https://github.com/grpc/grpc/blob/master/doc/server-reflection.md
 */
import { create, type DescFile, fromBinary, toBinary } from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectRouter } from "@connectrpc/connect";
import {
  ServerReflectionRequestSchema as RequestV1,
  ServerReflectionResponseSchema as ResponseV1,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
  ServerReflection as ServerReflectionV1,
} from "../../../gen/grpc/reflection/v1/reflection_pb.js";
import {
  ServerReflectionRequestSchema as RequestV1Alpha,
  ServerReflectionResponseSchema as ResponseV1Alpha,
  ServerReflection as ServerReflectionV1Alpha,
} from "../../../gen/grpc/reflection/v1alpha/reflection_pb.js";

/** Files by name and by every fully-qualified symbol they define. */
class DescriptorIndex {
  readonly byName = new Map<string, DescFile>();
  readonly bySymbol = new Map<string, DescFile>();
  readonly extensions = new Map<string, number[]>();

  constructor(files: DescFile[]) {
    const add = (file: DescFile) => {
      if (this.byName.has(file.proto.name)) return;
      this.byName.set(file.proto.name, file);
      file.dependencies.forEach(add);
      for (const t of nestedTypes(file)) {
        this.bySymbol.set(t.typeName, file);
        if (t.kind === "service") for (const m of t.methods) this.bySymbol.set(`${t.typeName}.${m.name}`, file);
        if (t.kind === "extension")
          this.extensions.set(t.extendee.typeName, [...(this.extensions.get(t.extendee.typeName) ?? []), t.number]);
      }
    };
    files.forEach(add);
  }

  /** The file and everything it imports, the file first, each once. */
  withDependencies(file: DescFile): Uint8Array[] {
    const seen = new Set<DescFile>();
    const walk = (f: DescFile) => {
      if (seen.has(f)) return;
      seen.add(f);
      f.dependencies.forEach(walk);
    };
    walk(file);
    return [...seen].map((f) => toBinary(FileDescriptorProtoSchema, f.proto));
  }
}

/** Adds both reflection services to `router`, describing `services` and the files that define them. */
export function addReflection(router: ConnectRouter, services: { typeName: string; file: DescFile }[]): void {
  const names = [...services.map((s) => s.typeName), ServerReflectionV1.typeName, ServerReflectionV1Alpha.typeName];
  const index = new DescriptorIndex([...services.map((s) => s.file), ServerReflectionV1.file, ServerReflectionV1Alpha.file]);
  const answer = (req: ServerReflectionRequest) => respond(index, names, req);

  router.service(ServerReflectionV1, {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) yield answer(req);
    },
  });
  router.service(ServerReflectionV1Alpha, {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        const res = answer(fromBinary(RequestV1, toBinary(RequestV1Alpha, req)));
        yield fromBinary(ResponseV1Alpha, toBinary(ResponseV1, res));
      }
    },
  });
}

function respond(index: DescriptorIndex, services: string[], req: ServerReflectionRequest): ServerReflectionResponse {
  const base = { validHost: req.host, originalRequest: req };
  const files = (file: DescFile | undefined, what: string) =>
    file
      ? create(ResponseV1, {
          ...base,
          messageResponse: { case: "fileDescriptorResponse", value: { fileDescriptorProto: index.withDependencies(file) } },
        })
      : notFound(what);
  const notFound = (what: string) =>
    create(ResponseV1, {
      ...base,
      messageResponse: { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: `${what} not found` } },
    });
  const m = req.messageRequest;
  switch (m.case) {
    case "listServices":
      return create(ResponseV1, {
        ...base,
        messageResponse: { case: "listServicesResponse", value: { service: services.map((name) => ({ name })) } },
      });
    case "fileByFilename":
      return files(index.byName.get(m.value), `file ${m.value}`);
    case "fileContainingSymbol":
      return files(index.bySymbol.get(m.value), `symbol ${m.value}`);
    case "fileContainingExtension": {
      const file = index.bySymbol.get(m.value.containingType);
      const known = index.extensions.get(m.value.containingType)?.includes(m.value.extensionNumber);
      return files(known ? file : undefined, `extension ${m.value.extensionNumber} of ${m.value.containingType}`);
    }
    case "allExtensionNumbersOfType":
      return index.bySymbol.has(m.value)
        ? create(ResponseV1, {
            ...base,
            messageResponse: {
              case: "allExtensionNumbersResponse",
              value: { baseTypeName: m.value, extensionNumber: index.extensions.get(m.value) ?? [] },
            },
          })
        : notFound(`type ${m.value}`);
    default:
      return create(ResponseV1, {
        ...base,
        messageResponse: { case: "errorResponse", value: { errorCode: Code.InvalidArgument, errorMessage: "empty request" } },
      });
  }
}
