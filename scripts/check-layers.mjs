#!/usr/bin/env node
// The layer check (ARCHITECTURE.md): every import in src/ points down the layers, never up and
// never sideways into a sibling of the same rank. Run by `npm test`; exits 1 naming each import
// that breaks the order.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Rank of each top-level directory of src/ (or file): a module may import only lower ranks and its own directory. */
export const LAYERS = {
  core: 0, // errors, canonical JSON, atomic write, lock: durable primitives
  process: 0, // child processes (execa): imports nothing of pgharden
  conf: 1, // parsers (pure) and their loaders
  hba: 2, // matcher, probe
  cluster: 3, // connecting, introspection, Debian clusters
  spec: 3, // the spec (conf below it)
  audit: 4,
  plan: 5,
  backup: 6,
  execute: 7, // may use backup (the verified-backup step), never the other way
  api: 8, // the public API's own verbs (inspect)
  drift: 8, // the live cluster against the desired state (an applied plan's end state, or the spec)
  scratch: 8, // throwaway clusters and the story's cluster, for the demo and the tests
  pitr: 8.5, // pgBackRest: enable is a plan run by execute; drills start a postmaster like scratch
  'index.ts': 9, // the public API
  render: 10, // rendering shared by the front ends
  guide: 11,
  demo: 11,
  cli: 12, // the dispatcher: may start the guide and the demo
};

/** Directories that are front ends: they may import src/index.ts and each other, nothing below. */
const FRONT_ENDS = new Set(['render', 'guide', 'demo', 'cli']);

const IMPORT = /(?:\bfrom|\bimport\(|^import)\s*['"](\.{1,2}\/[^'"]+)['"]/gm;

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const top = (rel) => rel.split('/')[0];

/** Every import that breaks the order, as "file -> target (why)". */
export function violations(srcDir = SRC) {
  const out = [];
  for (const file of files(srcDir)) {
    const rel = relative(srcDir, file);
    const from = top(rel);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const target = normalize(join(dirname(rel), m[1])).replace(/\.js$/, '.ts');
      const to = top(target);
      if (to === from) continue;
      const a = LAYERS[from];
      const b = LAYERS[to];
      if (a === undefined) out.push(`${rel}: its directory "${from}" has no layer; add it to scripts/check-layers.mjs`);
      else if (b === undefined) out.push(`${rel} -> ${target}: "${to}" has no layer`);
      else if (b >= a) out.push(`${rel} -> ${target}: ${from} (layer ${a}) may not import ${to} (layer ${b})`);
      // The front ends use pgharden as any other program would: through the public API only.
      else if (FRONT_ENDS.has(from) && b < LAYERS['index.ts'])
        out.push(`${rel} -> ${target}: a front end (${from}) uses only the public API (src/index.ts), not ${to}`);
    }
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const found = violations(process.argv[2] ?? SRC);
  for (const v of found) console.error(`layer check: ${v}`);
  console.log(
    found.length
      ? `layer check: ${found.length} import${found.length === 1 ? '' : 's'} against the layer order`
      : 'layer check: every import points down',
  );
  process.exitCode = found.length ? 1 : 0;
}
