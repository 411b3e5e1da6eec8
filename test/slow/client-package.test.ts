/**
 * The TypeScript client as users get it: `npm pack` of clients/typescript,
 * the tarball installed into a new project outside the checkout, the README's
 * TypeScript example type-checked there under strict settings with both
 * module resolutions users pick (node16 and bundler), then compiled and run
 * against a live desktop, whose pointer must really move.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { useTestServer } from "../helpers/server.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const rootPackage = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> };

/** The first `ts` block of the README's TypeScript section. */
async function readmeExample(): Promise<string> {
  const text = await readFile(join(ROOT, "README.md"), "utf8");
  const start = text.indexOf("\n### TypeScript (backend services)\n");
  assert.ok(start >= 0, "README has a TypeScript section");
  const block = /```ts\n([\s\S]*?)```/.exec(text.slice(start));
  assert.ok(block?.[1], "the section has a ts block");
  return block[1];
}

/** Strict settings a careful consumer uses; `resolution` picks how imports resolve. */
const tsconfig = (resolution: "node16" | "bundler") => ({
  compilerOptions: {
    target: "ES2022",
    module: resolution === "node16" ? "node16" : "esnext",
    moduleResolution: resolution,
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: false,
    types: ["node"],
    outDir: "out",
  },
  files: ["agent.ts"],
});

describe("the @desktopd/client package", { timeout: 240_000 }, () => {
  const t = useTestServer();
  let project: string;
  let files: string[];
  before(async () => {
    project = await mkdtemp(join(tmpdir(), "desktopd-client-project-"));
    const packed = await execa("npm", ["pack", "./clients/typescript", "--pack-destination", project, "--json"], { cwd: ROOT });
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    files = info!.files.map((f) => f.path);
    await writeFile(join(project, "package.json"), JSON.stringify({ name: "agent", private: true, type: "module" }));
    await writeFile(join(project, "agent.ts"), await readmeExample());
    for (const r of ["node16", "bundler"] as const) await writeFile(join(project, `tsconfig.${r}.json`), JSON.stringify(tsconfig(r)));
    const dev = rootPackage.devDependencies;
    // From npm's cache when `npm ci` filled it; the project never sees the checkout.
    await execa(
      "npm",
      [
        "install",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        join(project, info!.filename),
        `typescript@${dev.typescript}`,
        `@types/node@${dev["@types/node"]}`,
      ],
      { cwd: project },
    );
    // Compiled once (tsc emits despite type errors; the type checks below are separate specs).
    await execa("npx", ["tsc", "-p", "tsconfig.node16.json"], { cwd: project, reject: false });
  });
  after(async () => {
    await rm(project, { recursive: true, force: true });
  });

  it("holds the compiled client (with the wire settings it shares with the service) and its declarations only, and depends on Connect-ES and protobuf-es only", async () => {
    assert.ok(files.includes("dist/src/client/index.js") && files.includes("dist/src/client/index.d.ts"), files.join("\n"));
    assert.ok(files.includes("dist/gen/desktop/v1/desktop_pb.d.ts"));
    assert.deepEqual(
      files.filter((f) => !/^dist\/(src\/(client|wire)|gen\/desktop\/v1)\/[\w-]+\.(js|d\.ts)$/.test(f)),
      ["README.md", "package.json"].filter((f) => files.includes(f)),
      "nothing of the service",
    );
    const installed = JSON.parse(await readFile(join(project, "node_modules/@desktopd/client/package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    assert.deepEqual(Object.keys(installed.dependencies).sort(), ["@bufbuild/protobuf", "@connectrpc/connect", "@connectrpc/connect-node"]);
    for (const server of ["sharp", "x11", "pino", "execa"]) {
      await assert.rejects(readFile(join(project, "node_modules", server, "package.json")), `${server} is not installed`);
    }
  });

  for (const resolution of ["node16", "bundler"] as const) {
    it(`type-checks the README example under strict and exactOptionalPropertyTypes, moduleResolution ${resolution}`, async () => {
      const r = await execa("npx", ["tsc", "-p", `tsconfig.${resolution}.json`, "--noEmit"], { cwd: project, reject: false });
      assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    });
  }

  it("runs the README example against a live desktop: the pointer moves, the tool result carries the JPEG, the screenshot is PNG", async () => {
    const r = await execa("node", ["out/agent.js"], { cwd: project, env: { DESKTOPD_URL: t().url, DESKTOPD_TOKEN: t().token } });
    const [step, shot] = r.stdout.trim().split("\n");
    assert.equal(step, "text image true");
    const { native } = await t().host.session();
    assert.equal(shot, `${native.width}x${native.height}, frame 1`);
    // (100, 200) in the 1280x720 declared space, on the native screen.
    const at = await (await t().host.session()).cursorPosition();
    assert.deepEqual(at, { x: Math.round((100 * native.width) / 1280), y: Math.round((200 * native.height) / 720) });
  });

  it("refuses a wrong token with UNAUTHENTICATED, as a ConnectError the consumer can inspect", async () => {
    const r = await execa("node", ["out/agent.js"], {
      cwd: project,
      env: { DESKTOPD_URL: t().url, DESKTOPD_TOKEN: "wrong-token-wrong-token" },
      reject: false,
    });
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /\[unauthenticated\]/);
  });
});
