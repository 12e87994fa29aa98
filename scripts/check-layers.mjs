#!/usr/bin/env node
// The layer check (ARCHITECTURE.md): every import in src/ follows the table of allowed folder
// edges below, and the built-in and third-party modules that only some folders may use stay there.
// Imports are not found by pattern: the TypeScript compiler resolves every module of the program
// (`tsc --traceResolution`, the same NodeNext resolution as the build), so spacing, quotes, type
// imports, `import()` with a literal and re-exports are all seen as the compiler sees them. What
// the compiler cannot resolve, a dynamic import of a computed name or a `createRequire`, is refused.
// Run by `npm run lint`; exits 1 naming each import that breaks the rules.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const LOWER = ['core', 'process'];
const PARSE = [...LOWER, 'conf'];
const REACH = [...PARSE, 'hba', 'connect', 'cluster', 'consumers', 'spec'];
const PLANNED = [...REACH, 'audit', 'plan'];
const RUN = [...PLANNED, 'backup', 'execute'];

/**
 * Which top-level folders (or files) of src/ each one may import; its own files always. The front
 * ends (render, guide, demo, cli) use pgharden as any program would: through src/index.ts only.
 */
export const EDGES = {
  core: [], // errors, canonical JSON, atomic write, lock: durable primitives
  process: ['core'], // child processes: imports only core (a failed command is a ToolError)
  conf: LOWER, // parsers (pure) and their loaders
  hba: [...PARSE], // matcher, probe
  connect: [...PARSE, 'hba'], // conninfo, libpq's resolution, Debian clusters, peer relay, server host
  consumers: LOWER, // consumer files: discover, read, edit, write (URI, keyword/value, .pgpass, JSON/YAML/TOML)
  cluster: [...PARSE, 'hba', 'connect'], // introspection, host facts, evidence for least privilege
  spec: [...PARSE], // the spec
  audit: REACH,
  plan: [...REACH, 'audit'],
  backup: REACH,
  execute: [...PLANNED, 'backup'], // may use backup (the verified-backup step), never the other way
  api: RUN, // the public API's own verbs (inspect)
  scratch: RUN, // throwaway clusters and the story's cluster
  drift: RUN, // the live cluster against the desired state (an applied plan's end state, or the spec)
  pitr: [...RUN, 'scratch'], // pgBackRest: enable is a plan run by execute; drills start a postmaster like scratch
  'index.ts': [...RUN, 'api', 'scratch', 'pitr', 'drift'], // the public API
  'fixtures.ts': ['connect', 'cluster', 'scratch'], // the demo's story cluster, kept out of the public API
  render: ['index.ts'],
  guide: ['index.ts', 'render'],
  demo: ['index.ts', 'fixtures.ts', 'render'],
  cli: ['index.ts', 'render', 'guide', 'demo'], // the dispatcher: may start the guide and the demo
};

/** Modules (built-in or from npm) only these folders may import; `why` is said with each refusal. */
export const RESTRICTED = [
  {
    modules: ['node:child_process', 'child_process', 'execa'],
    only: ['process'],
    why: 'child processes start only in process/ (timeouts, process groups, cleanup on interrupt)',
  },
  {
    modules: ['pg', 'pg-protocol'],
    only: Object.keys(EDGES).filter((f) => !['render', 'guide', 'demo', 'cli'].includes(f)),
    why: 'the front ends reach a server only through the public API',
  },
  {
    modules: ['@inquirer/prompts', '@inquirer/core'],
    only: ['guide', 'cli'],
    why: 'prompts belong to the front ends',
  },
];

/** Files allowed a `createRequire`, with the reason: it resolves paths and loads no code. */
const CREATE_REQUIRE_ALLOWED = new Set(['cluster/install.ts']);

const topOf = (rel) => rel.split('/')[0];
const posix = (p) => p.split(sep).join('/');

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/**
 * Every module the compiler resolves from a file of `srcDir`, as { file, specifier, resolved }
 * (resolved: an absolute path, or undefined when the compiler found nothing).
 */
export function resolvedImports(srcDir) {
  const project = join(srcDir, '..', `.layers-tsconfig-${process.pid}.json`);
  writeFileSync(
    project,
    JSON.stringify({
      compilerOptions: {
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2023',
        types: ['node'],
        noEmit: true,
        skipLibCheck: true,
      },
      include: [`${posix(relative(join(srcDir, '..'), srcDir))}/**/*.ts`],
    }),
  );
  try {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', project, '--traceResolution'], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
    if (r.error || !r.stdout.includes('======== Resolving module'))
      throw new Error(`tsc --traceResolution printed no resolution: ${r.error?.message ?? r.stderr.slice(0, 2000)}`);
    const out = [];
    let open;
    for (const line of r.stdout.split('\n')) {
      const start = /^======== Resolving module '(.+)' from '(.+)'\. ========$/.exec(line);
      if (start) {
        open = { specifier: start[1], file: start[2] };
        continue;
      }
      const end =
        /^======== Module name '(.+)' was (?:successfully resolved to '(.+?)'(?: with Package ID .*)?|not resolved)\. ========$/.exec(
          line,
        );
      if (end && open) {
        if (open.file.startsWith(srcDir + sep)) out.push({ ...open, resolved: end[2] });
        open = undefined;
      }
    }
    return out;
  } finally {
    rmSync(project, { force: true });
  }
}

/** Dynamic imports the compiler cannot resolve, and createRequire: found in the text, comments and all. */
function unresolvable(srcDir) {
  const out = [];
  for (const file of sourceFiles(srcDir)) {
    const rel = posix(relative(srcDir, file));
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((text, i) => {
      // Anything but a plain string literal after `import(`: a template, a variable, a call.
      if (/\bimport\s*\(\s*(?!['"])(?!\))/.test(text) && !/^\s*(\/\/|\*|\/\*)/.test(text))
        out.push(`${rel}:${i + 1}: import() of a computed name: write the module as a string literal`);
      if (/\bcreateRequire\b/.test(text) && !CREATE_REQUIRE_ALLOWED.has(rel) && !/^\s*(\/\/|\*|\/\*)/.test(text))
        out.push(`${rel}:${i + 1}: createRequire loads modules the layer check cannot see`);
    });
  }
  return out;
}

/** Every import that breaks the rules, as "file -> target: why". */
export function violations(srcDir = join(ROOT, 'src')) {
  const out = unresolvable(srcDir);
  const seen = new Set();
  for (const { file, specifier, resolved } of resolvedImports(srcDir)) {
    const rel = posix(relative(srcDir, file));
    const from = topOf(rel);
    const allowed = EDGES[from];
    const key = `${rel}\0${specifier}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (!allowed) {
      out.push(`${rel}: its folder "${from}" has no row in the table of edges; add it to scripts/check-layers.mjs`);
      continue;
    }
    const relative_ = specifier.startsWith('.') || specifier.startsWith('/');
    if (!relative_) {
      const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
      for (const rule of RESTRICTED)
        if (rule.modules.includes(name) && !rule.only.includes(from))
          out.push(`${rel} -> ${specifier}: ${from} may not import ${name} (${rule.why})`);
      continue;
    }
    if (!resolved) {
      out.push(`${rel} -> ${specifier}: the compiler resolves it to no file`);
      continue;
    }
    const target = posix(relative(srcDir, resolved));
    if (target.startsWith('..')) {
      out.push(`${rel} -> ${specifier}: outside src/`);
      continue;
    }
    const to = topOf(target);
    if (to === from) continue;
    if (!allowed.includes(to))
      out.push(
        `${rel} -> ${target}: ${from} may import only ${allowed.length ? allowed.join(', ') : 'nothing of pgharden'}, not ${to}`,
      );
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const found = violations(process.argv[2] ?? join(ROOT, 'src'));
  for (const v of found) console.error(`layer check: ${v}`);
  console.log(
    found.length
      ? `layer check: ${found.length} import${found.length === 1 ? '' : 's'} against the rules`
      : 'layer check: every import follows the table of edges',
  );
  process.exitCode = found.length ? 1 : 0;
}
