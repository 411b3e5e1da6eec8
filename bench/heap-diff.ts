/**
 * Where the V8 heap goes between two heap snapshots (the .heapsnapshot files
 * `MEMORY_SNAPSHOTS=1 npm run bench:memory` writes): self size and count per
 * constructor (objects), per kind otherwise (strings, code, arrays, ...),
 * before, after and the change, largest change first. Snapshot format:
 * https://github.com/v8/v8/blob/main/include/v8-profiler.h (HeapGraphNode).
 *
 * Usage: node --import tsx bench/heap-diff.ts BEFORE.heapsnapshot AFTER.heapsnapshot [rows]
 */
import { readFile } from "node:fs/promises";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size (bytes) and count per group. */
type Groups = Map<string, { bytes: number; count: number }>;

async function groups(file: string): Promise<{ groups: Groups; total: number }> {
  const s = JSON.parse(await readFile(file, "utf8")) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const types = s.snapshot.meta.node_types[0];
  const out: Groups = new Map();
  let total = 0;
  for (let i = 0; i < s.nodes.length; i += fields.length) {
    const type = types[s.nodes[i + typeAt]];
    // Objects by constructor, native memory by what holds it; the rest (strings, code, internals) by kind.
    const named = type === "object" || type === "closure" || type === "native";
    const key = named ? `${type} ${s.strings[s.nodes[i + nameAt]]}` : `(${type})`;
    const size = s.nodes[i + sizeAt];
    const g = out.get(key) ?? { bytes: 0, count: 0 };
    g.bytes += size;
    g.count += 1;
    out.set(key, g);
    total += size;
  }
  return { groups: out, total };
}

const [beforeFile, afterFile, rowsArg] = process.argv.slice(2);
if (!beforeFile || !afterFile) {
  console.error("usage: heap-diff.ts BEFORE.heapsnapshot AFTER.heapsnapshot [rows]");
  process.exit(2);
}
const [before, after] = [await groups(beforeFile), await groups(afterFile)];
const KiB = 1024;
const keys = new Set([...before.groups.keys(), ...after.groups.keys()]);
const rows = [...keys]
  .map((k) => {
    const b = before.groups.get(k) ?? { bytes: 0, count: 0 };
    const a = after.groups.get(k) ?? { bytes: 0, count: 0 };
    return { k, b, a, change: a.bytes - b.bytes };
  })
  .sort((x, y) => Math.abs(y.change) - Math.abs(x.change))
  .slice(0, Number(rowsArg ?? 20));
console.log(
  `V8 heap, self sizes: before ${(before.total / KiB / KiB).toFixed(1)} MiB, after ${(after.total / KiB / KiB).toFixed(1)} MiB\n`,
);
console.log(`${"group".padEnd(44)}${"before KiB".padStart(11)}${"after KiB".padStart(11)}${"change".padStart(9)}${"count".padStart(16)}`);
for (const { k, b, a, change } of rows)
  console.log(
    `${k.slice(0, 43).padEnd(44)}${(b.bytes / KiB).toFixed(0).padStart(11)}${(a.bytes / KiB).toFixed(0).padStart(11)}` +
      `${(change / KiB).toFixed(0).padStart(9)}${`${b.count}->${a.count}`.padStart(16)}`,
  );
