#!/usr/bin/env node
// The second half of `npm run build`: the command `pgharden` (package.json "bin") as one ES module
// bundle, dist/bin/pgharden.js, made by esbuild from what tsc just wrote to dist/.
//
// Why: an unbundled start resolves, reads and compiles ~200 of pgharden's modules and those of
// its dependencies one file at a time. Bundled, a whole `apply` spends about 30% less CPU (the
// CLI processes of test/integration/apply.test.ts, --cpu-prof: 6.1 s busy unbundled, 4.0–4.8 s bundled), and the
// tests start the CLI some 500 times. The public API (`import 'pgharden'`, dist/index.js) stays
// unbundled: a program importing it shares one copy of each module with its own code.
//
// - Verbs stay lazy: main.ts imports each verb's module when it is used, and `splitting` keeps
//   those imports as chunks beside the entry, loaded on demand.
// - Chunks sit at the same depth as dist/cli/*.js, so src/core/shipped.ts still finds the package
//   directory (and templates/) two levels up from its module, and createRequire in
//   src/cluster/install.ts still searches this package's node_modules.
// - libpg-query stays external: its Emscripten loader reads libpg-query.wasm beside itself.
//   pg-native is pg's optional native driver, never installed.
// - `Response` is defined away: on Node 20, pg's check for a Cloudflare Worker builds a fetch
//   `Response` when `navigator` is absent, which loads Node's whole fetch implementation (undici,
//   ~25 ms of CPU) in every process that connects. Nothing else in the bundle names `Response`;
//   the check then answers "not Cloudflare" at once, as it does on Node 21+ through `navigator`.
// - The test entry point (test/support/fault-cli.mjs, where a checkout has it) is bundled the same
//   way into test/.bin/ (git-ignored, never packed), so a test's killed apply starts as fast as
//   the released command. Bundled with the CLI, the fault and the apply that reads it share one
//   copy of dist/execute/fault-hook.js. test/.bin/ sits two levels below the package, as dist/bin/.
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist', 'bin');
const ENTRY = join(OUT, 'pgharden.js');

/** The build shared by the command and the test entry point. */
const common = {
  bundle: true,
  splitting: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  chunkNames: 'chunk-[hash]',
  external: ['libpg-query', 'pg-native'],
  define: { Response: 'undefined' },
  // CommonJS dependencies (pg, pgpass…) call require() for Node's built-in modules.
  banner: {
    js: "import { createRequire as __pghardenRequire } from 'node:module';\nconst require = __pghardenRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
};

rmSync(OUT, { recursive: true, force: true });
await build({ ...common, entryPoints: { pgharden: join(ROOT, 'dist', 'cli', 'main.js') }, outdir: OUT });
chmodSync(ENTRY, 0o755);

const FAULT_ENTRY = join(ROOT, 'test', 'support', 'fault-cli.mjs');
if (existsSync(FAULT_ENTRY)) {
  const outdir = join(ROOT, 'test', '.bin');
  rmSync(outdir, { recursive: true, force: true });
  await build({ ...common, entryPoints: { 'pgharden-fault': FAULT_ENTRY }, outdir });
}
