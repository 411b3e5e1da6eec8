/**
 * The layout's import rules are checked, not only written down: Biome (the
 * project's linter, run by CI) fails on an import that breaks them. Fixture
 * files in a temporary copy of the tree layout, linted with the project's
 * own biome.json: each rule refuses its violation, and the allowed edges
 * pass.
 */
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIOME = join(ROOT, "node_modules", ".bin", "biome");

/** Lints `files` (path -> content) in a fresh tree with the project's biome.json; the diagnostics' messages. */
async function lint(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "desktopd-imports-"));
  try {
    await copyFile(join(ROOT, "biome.json"), join(dir, "biome.json"));
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    const r = await execa(BIOME, ["lint", "--vcs-enabled=false", "--max-diagnostics=50", "src"], { cwd: dir, reject: false });
    return `${r.stdout}\n${r.stderr}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const TARGETS = {
  "src/server/server.ts": "export const server = 1;\n",
  "src/client/client.ts": "export const client = 1;\n",
  "src/cli/serve.ts": "export const serve = 1;\n",
  "src/desktop/desktop.ts": "export const desktop = 1;\n",
  "src/wire/flow.ts": "export const wire = 1;\n",
};

describe("import rules (biome.json), enforced", () => {
  const cases: [string, string, RegExp][] = [
    [
      "src/desktop/bad.ts",
      'import { server } from "../server/server.js";\nexport const x = server;\n',
      /the desktop layer imports neither/,
    ],
    [
      "src/desktop/x11/bad.ts",
      'import { client } from "../../client/client.js";\nexport const x = client;\n',
      /the desktop layer imports neither/,
    ],
    ["src/client/bad.ts", 'import { desktop } from "../desktop/desktop.js";\nexport const x = desktop;\n', /the client imports only gen/],
    ["src/wire/bad.ts", 'import { server } from "../server/server.js";\nexport const x = server;\n', /are leaves/],
    ["src/server/bad.ts", 'import { serve } from "../cli/serve.js";\nexport const x = serve;\n', /nothing imports the CLI/],
    ["src/desktop/a.ts", 'import { b } from "./b.js";\nexport const a = () => b;\n', /part of a cycle/],
  ];
  for (const [path, text, rule] of cases) {
    it(`refuses ${path}: ${rule.source}`, async () => {
      const extra: Record<string, string> = path.endsWith("a.ts")
        ? { "src/desktop/b.ts": 'import { a } from "./a.js";\nexport const b = () => a;\n' }
        : {};
      assert.match(await lint({ ...TARGETS, ...extra, [path]: text }), rule);
    });
  }

  it("passes the allowed edges: server -> desktop, client -> wire and gen, wire -> gen, desktop -> os, cli -> server", async () => {
    const out = await lint({
      ...TARGETS,
      "gen/desktop/v1/desktop_pb.ts": "export const pb = 1;\n",
      "src/wire/gen.ts": 'import { pb } from "../../gen/desktop/v1/desktop_pb.js";\nexport const x = pb;\n',
      "src/client/gen.ts": 'import { pb } from "../../gen/desktop/v1/desktop_pb.js";\nexport const x = pb;\n',
      "src/os/clock.ts": "export const clock = 1;\n",
      "src/server/ok.ts": 'import { desktop } from "../desktop/desktop.js";\nexport const x = desktop;\n',
      "src/client/ok.ts": 'import { wire } from "../wire/flow.js";\nexport const x = wire;\n',
      "src/desktop/ok.ts": 'import { clock } from "../os/clock.js";\nexport const x = clock;\n',
      "src/cli/ok.ts": 'import { server } from "../server/server.js";\nexport const x = server;\n',
    });
    assert.doesNotMatch(out, /imports neither|only gen|are leaves|nothing imports|part of a cycle/, out);
  });
});
