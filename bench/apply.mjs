// Apply benchmark (`npm run bench` runs it after run.mjs): the story cluster with 5 roles and 5
// consumers (no consumer commands). Each run makes a fresh plan, times `pgharden apply --yes` as a
// whole process, then rolls back. Prints the median and the time per stage (from report.json).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { findInstall } from '../dist/cluster/install.js';
import { startStoryCluster, VPN_RANGE } from '../dist/scratch/story.js';

const RUNS = Number(process.env.PGHARDEN_BENCH_APPLY_RUNS ?? 7);
const major = Number(process.env.PGHARDEN_BENCH_PG ?? 15);
const cli = fileURLToPath(new URL('../dist/bin/pgharden.js', import.meta.url));
const env = { ...process.env, NO_COLOR: '1' };
delete env.NODE_EXTRA_CA_CERTS;
const run = (args) => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`pgharden ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r;
};

const install = findInstall(major);
if (!install) throw new Error(`PostgreSQL ${major} is not installed; set PGHARDEN_BENCH_PG`);
const cluster = await startStoryCluster(install);
const dir = mkdtempSync(join(tmpdir(), 'pgharden-bench-apply-'));
chmodSync(dir, 0o755);
const roles = [
  ['agents_app', 'app-readwrite'],
  ['reporting', 'readonly'],
  ['deployer', 'migrator'],
  ['billing', 'app-readwrite'],
  ['dashboard', 'readonly'],
];
const spec = join(dir, 'harden.yaml');
writeFileSync(
  spec,
  [
    `target: { dsn: "postgres://postgres@127.0.0.1:${cluster.port}/postgres" }`,
    `network: { trustedRanges: [${VPN_RANGE}] }`,
    'roles:',
    ...roles.map(([name, template]) => `  - { name: ${name}, template: ${template}, databases: [workspace] }`),
    'consumers:',
    ...roles.map(([name]) => `  - { name: ${name}-svc, file: ${name}.env, key: DATABASE_URL, role: ${name} }`),
    '',
  ].join('\n'),
);
for (const [name] of roles)
  writeFileSync(join(dir, `${name}.env`), `DATABASE_URL=postgres://postgres@127.0.0.1:${cluster.port}/workspace\n`);

const times = [];
const stages = {};
try {
  for (let i = 0; i < RUNS; i++) {
    const plan = join(dir, `plan-${i}`);
    run(['plan', '--spec', spec, '--out', plan]);
    const t = performance.now();
    run(['apply', plan, '--yes']);
    times.push(performance.now() - t);
    for (const s of JSON.parse(readFileSync(join(plan, 'report.json'), 'utf8')).steps)
      (stages[s.stage] ??= []).push(s.ms);
    run(['rollback', plan]);
  }
} finally {
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const perStage = Object.entries(stages)
  .map(([st, ms]) => `${st} ${Math.round(ms.reduce((a, b) => a + b, 0) / RUNS)} ms`)
  .join(', ');
console.log(
  `| \`pgharden apply --yes\`: story cluster, 5 roles, 5 consumers, whole process, median of ${RUNS} (PostgreSQL ${major}) | ${median(times).toFixed(0)} ms | per stage (mean): ${perStage} |`,
);
