// pgharden benchmarks: `npm run bench` (builds first). Prints a Markdown table for the README.
//
// 1. `pgharden inspect hba FILE --json` on a generated 100,000-line pg_hba.conf, whole process,
//    against PostgreSQL's own parse of the same file in the same run (bench/hba-parse.mjs), on a
//    scratch cluster of PGHARDEN_BENCH_PG (default 15); and pgharden's loader alone, in process.
// 2. `pgharden audit --json` of 1,000 roles and a 10,000-line file, whole process.
// 3. `pgharden inspect hba FILE --json` on a normal-size file, as a whole process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadHba, loadHbaRows } from '../dist/conf/load-hba.js';
import { findInstall } from '../dist/cluster/install.js';
import { startCluster } from '../dist/scratch/cluster.js';
import { bareEnvironment, generateHba, median } from './hba-file.mjs';
import { benchHbaParse, parseRow } from './hba-parse.mjs';

const RUNS = Number(process.env.PGHARDEN_BENCH_RUNS ?? 11);
const CLI_RUNS = Number(process.env.PGHARDEN_BENCH_CLI_RUNS ?? 21);
const AUDIT_RUNS = Number(process.env.PGHARDEN_BENCH_AUDIT_RUNS ?? 7);

const major = Number(process.env.PGHARDEN_BENCH_PG ?? 15);
const cli = fileURLToPath(new URL('../dist/bin/pgharden.js', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'pgharden-bench-'));
const bigFile = join(dir, 'big_hba.conf');
const big = generateHba(100_000);
writeFileSync(bigFile, big);
const normalFile = join(dir, 'pg_hba.conf');
writeFileSync(normalFile, generateHba(120));

const install = findInstall(major);
if (!install) throw new Error(`PostgreSQL ${major} is not installed; set PGHARDEN_BENCH_PG`);
const cluster = await startCluster(install, { ssl: true });
const results = [];
try {
  const { context } = await import('../dist/cluster/build-options.js').then((m) =>
    cluster.connect().then(async (c) => {
      const r = await m.contextFromServer(c);
      await c.end();
      return r;
    }),
  );
  // loadHba alone (what audit and plan use): read + parse + lines, rules and view rows, in process.
  const ours = [];
  let rowCount = 0;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    rowCount = loadHba(bigFile, { context }).rows.length;
    ours.push(performance.now() - t);
  }
  // loadHbaRows (what inspect hba uses): read + parse + view rows only, in process.
  const rowsOnly = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    loadHbaRows(bigFile, { context });
    rowsOnly.push(performance.now() - t);
  }
  // The whole process against the server's parse, alternating, same file, same run.
  const parse = await benchHbaParse(cluster, RUNS);
  if (parse.rows !== rowCount) throw new Error(`row counts differ: pgharden ${rowCount}, PostgreSQL ${parse.rows}`);
  results.push(parseRow(parse, major));
  results.push([
    `the parser as \`inspect hba\` runs it (loadHbaRows: read, parse, the view's rows), in this process, no start-up, no JSON, median of ${RUNS}; PostgreSQL's parse in the same run: ${median(parse.theirs).toFixed(0)} ms`,
    `${median(rowsOnly).toFixed(0)} ms`,
    '',
  ]);
  results.push([
    `loadHba alone, in this process (lines, rules and rows, as audit and plan load the file; no start-up, no JSON), median of ${RUNS}`,
    `${median(ours).toFixed(0)} ms`,
    '',
  ]);

  // Audit of a cluster with 1,000 roles and a 10,000-line pg_hba.conf, whole process. The file is
  // only written, not loaded: the running server keeps initdb's rules, so the audit can connect.
  await cluster.query(`DO $$ BEGIN
    FOR i IN 1..20 LOOP EXECUTE format('CREATE ROLE team%s NOLOGIN', i); END LOOP;
    FOR i IN 1..1000 LOOP EXECUTE format('CREATE ROLE app%s LOGIN IN ROLE team%s', i, 1 + i % 20); END LOOP;
  END $$`);
  cluster.writeFile(cluster.hbaFile, generateHba(10_000));
  const auditTimes = [];
  for (let i = 0; i < AUDIT_RUNS; i++) {
    const t = performance.now();
    const r = spawnSync(
      process.execPath,
      [cli, 'audit', '--json', '--dsn', `postgres://postgres@127.0.0.1:${cluster.port}/postgres`],
      { encoding: 'utf8', env: bareEnvironment(), maxBuffer: 1 << 28 },
    );
    auditTimes.push(performance.now() - t);
    if (r.status !== 0 && r.status !== 1) throw new Error(`audit exited ${r.status}: ${r.stderr}`);
  }
  results.push([
    `\`pgharden audit --json\`: 1,000 roles, 10,000-line pg_hba.conf, whole process, median of ${AUDIT_RUNS}`,
    `${median(auditTimes).toFixed(0)} ms`,
    '',
  ]);
} finally {
  await cluster.stop();
}

/** Median wall time of a whole process, over CLI_RUNS runs. */
function timeProcess(args, env) {
  const times = [];
  for (let i = 0; i < CLI_RUNS; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', env });
    times.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  return median(times);
}
const inspectArgs = [cli, 'inspect', 'hba', normalFile, '--json', '--pg-version', '15', '--ssl', 'on'];
const bareEnv = bareEnvironment();
results.push([
  `\`pgharden inspect hba FILE --json\` (120 lines), whole process, median of ${CLI_RUNS}`,
  `${timeProcess(inspectArgs, bareEnv).toFixed(0)} ms`,
  '',
]);
results.push([
  `the same with this machine's NODE_EXTRA_CA_CERTS=${process.env.NODE_EXTRA_CA_CERTS ?? '(unset)'}`,
  `${timeProcess(inspectArgs, process.env).toFixed(0)} ms`,
  '',
]);
results.push([
  `\`node -e 0\` for scale (no extra CA certificates)`,
  `${timeProcess(['-e', '0'], bareEnv).toFixed(0)} ms`,
  '',
]);
rmSync(dir, { recursive: true, force: true });

console.log('| what | pgharden | PostgreSQL |\n|---|---|---|');
for (const r of results) console.log(`| ${r.join(' | ')} |`);
