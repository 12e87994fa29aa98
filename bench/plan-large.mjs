// `node bench/plan-large.mjs` (after `npm run build`): `pgharden plan`, `review` and `audit` of a
// story cluster whose pg_hba.conf has 50,000 lines (PGHARDEN_BENCH_HBA_LINES), each as a whole
// process, on a scratch cluster of PGHARDEN_BENCH_PG (default 15). Prints a Markdown table row.
import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { findInstall } from '../dist/cluster/install.js';
import { startStoryCluster, STORY_HBA, VPN_RANGE } from '../dist/scratch/story.js';

const LINES = Number(process.env.PGHARDEN_BENCH_HBA_LINES ?? 50_000);
const major = Number(process.env.PGHARDEN_BENCH_PG ?? 15);
const cli = fileURLToPath(new URL('../dist/bin/pgharden.js', import.meta.url));

/** The story's rules, then LINES of comments and host rules (trust, md5, scram), inside and outside the trusted range. */
function generateHba(lines) {
  const out = STORY_HBA.trimEnd().split('\n');
  const methods = ['trust', 'md5', 'scram-sha-256', 'trust', 'password'];
  let seed = 42;
  const rnd = (n) => ((seed = (seed * 48271) % 2147483647), Math.floor((seed / 2147483647) * n));
  while (out.length < lines) {
    const k = rnd(8);
    const i = out.length;
    if (k === 0) out.push(`# rule group ${i}: application servers in rack ${rnd(40)}`);
    else if (k < 4)
      out.push(`host    db${rnd(50)}   app${rnd(90)}   127.10.${rnd(256)}.${rnd(256)}/32   ${methods[rnd(5)]}`);
    else
      out.push(
        `host    db${rnd(50)},db${rnd(50)}   app${rnd(90)}   10.${rnd(256)}.${rnd(256)}.${rnd(256)}/32   ${methods[rnd(5)]}`,
      );
  }
  return `${out.join('\n')}\n`;
}

const install = findInstall(major);
if (!install) throw new Error(`PostgreSQL ${major} is not installed; set PGHARDEN_BENCH_PG`);
const dir = mkdtempSync(join(tmpdir(), 'pgharden-bench-plan-'));
const cluster = await startStoryCluster(install);
try {
  const st = statSync(cluster.hbaFile);
  writeFileSync(cluster.hbaFile, generateHba(LINES));
  chownSync(cluster.hbaFile, st.uid, st.gid);
  await cluster.query('SELECT pg_reload_conf()');
  const dsn = `postgres://postgres@127.0.0.1:${cluster.port}/postgres`;
  const spec = join(dir, 'harden.yaml');
  writeFileSync(
    spec,
    `target: { dsn: "${dsn}" }\nnetwork: { trustedRanges: [${VPN_RANGE}] }\nroles:\n  - { name: agents_app, template: app-readwrite, databases: [workspace] }\n`,
  );
  const run = (args) => {
    const t = performance.now();
    const r = spawnSync(
      process.execPath,
      [
        ...(process.env.PGHARDEN_BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.PGHARDEN_BENCH_PROF] : []),
        cli,
        ...args,
      ],
      { encoding: 'utf8', maxBuffer: 1 << 30 },
    );
    const ms = performance.now() - t;
    if (r.status !== 0 && !(args[0] === 'audit' && r.status === 1))
      throw new Error(`pgharden ${args[0]} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
    if (process.env.PGHARDEN_BENCH_SHOW) writeFileSync(join(tmpdir(), `bench-${args[0]}.out`), r.stdout + r.stderr);
    return { ms, out: r.stdout.length, lines: r.stdout.split('\n').length };
  };
  const out = join(dir, 'plans', 'large');
  const plan = run(['plan', '--spec', spec, '--out', out, '--skip-backup']);
  const review = run(['review', out, '--dsn', dsn]);
  const audit = run(['audit', '--dsn', dsn]);
  const auditJson = run(['audit', '--dsn', dsn, '--json']);
  console.log(
    `| \`pgharden plan\` / \`pgharden review\` of a ${LINES.toLocaleString('en-US')}-line pg_hba.conf, whole process (\`node bench/plan-large.mjs\`) | plan ${Math.round(plan.ms)} ms, review ${Math.round(review.ms)} ms (${(review.out / 1e6).toFixed(1)} MB of review output) | |`,
  );
  console.log(
    `| \`pgharden audit\` of the same file, whole process | ${Math.round(audit.ms)} ms, ${audit.lines} lines of output (\`--json\`: ${Math.round(auditJson.ms)} ms, ${(auditJson.out / 1e6).toFixed(1)} MB, every evidence line) | |`,
  );
} finally {
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
