/**
 * Validates Kubernetes manifests without a cluster, two ways, as an API
 * server with strict field validation would refuse them:
 * - the JSON schemas kubernetes-models compiles from Kubernetes' OpenAPI
 *   (types, formats, enums, required fields) for every built-in kind, and
 *   for the pod template inside agent-sandbox resources;
 * - the TypeScript compiler, with each object as a literal of its published
 *   type (kubernetes-types; test/helpers/agent-sandbox.ts for agent-sandbox):
 *   an unknown field anywhere is an excess property, which the schemas allow.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Pod } from "kubernetes-models/v1/Pod";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import ts from "typescript";
import { parseAllDocuments } from "yaml";

export interface Manifest {
  /** file#index (kind name) */
  where: string;
  object: Record<string, unknown> & { apiVersion: string; kind: string };
}

/** Every object of the YAML files, in order. */
export function readManifests(files: string[]): Manifest[] {
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(file, "utf8")).map((doc, i) => {
      if (doc.errors.length) throw new Error(`${file}#${i}: ${doc.errors[0].message}`);
      const object = doc.toJS() as Manifest["object"];
      const name = (object.metadata as { name?: string } | undefined)?.name;
      return { where: `${file.replace(/^.*\/deploy\//, "deploy/")}#${i} (${object.kind} ${name})`, object };
    }),
  );
}

const AGENT_SANDBOX = "extensions.agents.x-k8s.io/v1alpha1";
const HELPER = fileURLToPath(new URL("./agent-sandbox.js", import.meta.url)).replace(/\.js$/, ".ts");

/** apiVersion + kind → the module that types it, and how its schema is checked. */
const KINDS: Record<string, { module: string; validate(o: Manifest["object"]): void }> = {
  "v1 Secret": { module: "kubernetes-types/core/v1.js", validate: (o) => new Secret(o as never).validate() },
  "v1 Service": { module: "kubernetes-types/core/v1.js", validate: (o) => new Service(o as never).validate() },
  "apps/v1 Deployment": { module: "kubernetes-types/apps/v1.js", validate: (o) => new Deployment(o as never).validate() },
  [`${AGENT_SANDBOX} SandboxTemplate`]: {
    module: HELPER,
    validate: (o) => {
      const template = (o.spec as { podTemplate?: { spec?: unknown } } | undefined)?.podTemplate;
      new Pod({ metadata: { name: "template" }, spec: template?.spec as never }).validate();
    },
  },
  [`${AGENT_SANDBOX} SandboxWarmPool`]: { module: HELPER, validate: () => {} },
  [`${AGENT_SANDBOX} SandboxClaim`]: { module: HELPER, validate: () => {} },
};

/** Problems found, one line each, naming the manifest; empty when all are valid. */
export function validateManifests(manifests: Manifest[]): string[] {
  const problems: string[] = [];
  for (const m of manifests) {
    const kind = KINDS[`${m.object.apiVersion} ${m.object.kind}`];
    if (!kind) {
      problems.push(`${m.where}: no schema for apiVersion ${m.object.apiVersion} kind ${m.object.kind}`);
      continue;
    }
    try {
      kind.validate(m.object);
    } catch (err) {
      problems.push(`${m.where}: ${(err as Error).message}`);
    }
  }
  return [...problems, ...typeCheck(manifests.filter((m) => KINDS[`${m.object.apiVersion} ${m.object.kind}`]))];
}

function typeCheck(manifests: Manifest[]): string[] {
  const file = fileURLToPath(new URL("./manifests.check.ts", import.meta.url));
  const lines = manifests.map((m, i) => {
    const { module } = KINDS[`${m.object.apiVersion} ${m.object.kind}`];
    return `// ${m.where}\nexport const m${i}: import(${JSON.stringify(module)}).${m.object.kind} = ${JSON.stringify(m.object, null, 1)};`;
  });
  const source = lines.join("\n");
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version) => (name === file ? ts.createSourceFile(name, source, version) : getSourceFile(name, version));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  const sourceFile = program.getSourceFile(file)!;
  return ts.getPreEmitDiagnostics(program, sourceFile).map((d) => {
    const line = d.start === undefined ? 0 : sourceFile.getLineAndCharacterOfPosition(d.start).line;
    const text = source.split("\n");
    let header = line;
    while (header > 0 && !text[header].startsWith("// ")) header--;
    return `${text[header].slice(3)}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
  });
}
