#!/usr/bin/env node
// `npm run package`: the release artifacts a database host installs without Node.js or npm.
//   dist-package/pgharden                  one executable (Node's single-executable applications):
//                                          the built CLI bundled by esbuild into one CommonJS script,
//                                          the libpg-query WebAssembly and templates/ as assets
//   dist-package/pgharden_VERSION_ARCH.deb  that executable as /usr/bin/pgharden, built by dpkg-deb
// Runs after `npm run build` (it bundles dist/cli/main.js, the code the tests run). Prints sizes
// and the time taken.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { debControl, manPage } from './package-deb.mjs';

const started = Date.now();
const phases = [];
let mark = started;
const phase = (name) => {
  phases.push(`${name} ${((Date.now() - mark) / 1000).toFixed(1)} s`);
  mark = Date.now();
};
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist-package');
const WORK = join(OUT, 'work');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const WASM = join(ROOT, 'node_modules', 'libpg-query', 'wasm', 'libpg-query.wasm');
const SHIPPED_INDEX = 'shipped-files.json'; // as src/core/shipped.ts reads it
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

rmSync(OUT, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });

// libpg-query's Emscripten loader reads libpg-query.wasm beside itself at import time. In the
// bundle it is given the bytes from the executable's asset instead (scripts/libpg-query-sea.cjs).
const wasmFromAsset = {
  name: 'libpg-query-wasm-from-asset',
  setup(b) {
    b.onResolve({ filter: /^\.\/libpg-query\.js$/ }, (a) =>
      a.importer.includes(`${join('node_modules', 'libpg-query')}`)
        ? { path: join(ROOT, 'scripts', 'libpg-query-sea.cjs') }
        : undefined,
    );
    b.onResolve({ filter: /^pgharden:libpg-query-factory$/ }, () => ({
      path: join(ROOT, 'node_modules', 'libpg-query', 'wasm', 'libpg-query.js'),
    }));
  },
};

const bundle = join(WORK, 'pgharden.cjs');
await build({
  entryPoints: [join(ROOT, 'dist', 'cli', 'main.js')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: bundle,
  plugins: [wasmFromAsset],
  logLevel: 'warning',
  logOverride: { 'empty-import-meta': 'silent' }, // only read when not a single executable
  legalComments: 'none',
});

phase('bundle');

// Assets: the WebAssembly parser, every file under templates/, and the index of those files.
function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}
const shipped = filesUnder(join(ROOT, 'templates')).map((f) => relative(ROOT, f).split('\\').join('/'));
writeFileSync(join(WORK, SHIPPED_INDEX), JSON.stringify(shipped));
const assets = {
  'libpg-query.wasm': WASM,
  [SHIPPED_INDEX]: join(WORK, SHIPPED_INDEX),
  ...Object.fromEntries(shipped.map((p) => [p, join(ROOT, p)])),
};
const blob = join(WORK, 'sea-prep.blob');
writeFileSync(
  join(WORK, 'sea-config.json'),
  JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, assets }, null, 2),
);
execFileSync(process.execPath, ['--experimental-sea-config', join(WORK, 'sea-config.json')], { stdio: 'inherit' });

phase('blob');

const exe = join(OUT, 'pgharden');
copyFileSync(process.execPath, exe);
chmodSync(exe, 0o755);
execFileSync(
  process.execPath,
  [join(ROOT, 'node_modules', 'postject', 'dist', 'cli.js'), exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE],
  { stdio: 'pipe' }, // LIEF warns about unnamed ELF note sections; an error still throws with its output
);
const help = execFileSync(exe, ['--help'], { encoding: 'utf8' });
const version = execFileSync(exe, ['--version'], { encoding: 'utf8' }).trim();
if (version !== `pgharden ${pkg.version}`)
  throw new Error(`the executable says "${version}", package.json ${pkg.version}`);

phase('executable');

// The .deb: /usr/bin/pgharden, its man page, copyright and the control file; root-owned files.
const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
const name = `pgharden_${pkg.version}_${arch}`;
const root = join(WORK, name);
const put = (path, data, mode = 0o644) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), data, { mode });
  chmodSync(join(root, path), mode);
};
mkdirSync(join(root, 'usr', 'bin'), { recursive: true });
copyFileSync(exe, join(root, 'usr', 'bin', 'pgharden'));
chmodSync(join(root, 'usr', 'bin', 'pgharden'), 0o755);
put('usr/share/man/man1/pgharden.1.gz', execFileSync('gzip', ['-9n'], { input: manPage(pkg, help) }));
put('usr/share/doc/pgharden/copyright', `pgharden ${pkg.version}\nLicense: ${pkg.license}\n`);
const installedKb = Math.ceil(filesUnder(join(root, 'usr')).reduce((n, f) => n + statSync(f).size, 0) / 1024);
put('DEBIAN/control', debControl(pkg, arch, installedKb));
const deb = join(OUT, `${name}.deb`);
// xz level 1: 3 MB larger than the default level 6, and a tenth of its time (measured: 11 s against
// over 100 s of CPU for the 104 MB executable).
execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '-z1', '--build', root, deb], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
rmSync(WORK, { recursive: true, force: true });
phase('deb');

const mb = (f) => `${(statSync(f).size / 1e6).toFixed(1)} MB`;
console.log(`pgharden ${pkg.version}: ${relative(ROOT, exe)} ${mb(exe)}, ${relative(ROOT, deb)} ${mb(deb)}`);
console.log(`packaged in ${((Date.now() - started) / 1000).toFixed(1)} s (${phases.join(', ')})`);
