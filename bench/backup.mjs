// Backup benchmark (`npm run bench` runs it last): a generated database of about 100 MB on a
// scratch cluster. In the same run: a bare `pg_dump -Fc` + `pg_restore` into a new database, and
// `pgharden backup --verify` of the same database (dump from a snapshot with its exact counts,
// restore drill, counts compared, scratch database dropped), both as whole processes.
// Target: verification adds at most 30% to the bare dump + restore.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { findClientTools } from '../dist/cluster/client-tools.js';
import { findInstall } from '../dist/cluster/install.js';
import { startCluster } from '../dist/scratch/cluster.js';
import { bareEnvironment } from './hba-file.mjs';

const RUNS = Number(process.env.PGHARDEN_BENCH_BACKUP_RUNS ?? 3);
const major = Number(process.env.PGHARDEN_BENCH_PG ?? 15);
const cli = fileURLToPath(new URL('../dist/bin/pgharden.js', import.meta.url));
const env = { ...bareEnvironment(), NO_COLOR: '1' };
const must = (r, what) => {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}: ${r.stderr}`);
  return r;
};

const install = findInstall(major);
if (!install) throw new Error(`PostgreSQL ${major} is not installed; set PGHARDEN_BENCH_PG`);
const tools = findClientTools(major);
const cluster = await startCluster(install);
const dir = mkdtempSync(join(tmpdir(), 'pgharden-bench-backup-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  await cluster.query('CREATE DATABASE bench');
  const c = await cluster.connect({ database: 'bench' });
  await c.query(`CREATE TABLE events AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS payload, now() - g * interval '1 second' AS at FROM generate_series(1, 900000) g;
    CREATE TABLE users AS SELECT g AS id, 'user ' || g AS name FROM generate_series(1, 100000) g;
    ALTER TABLE events ADD PRIMARY KEY (id); ALTER TABLE users ADD PRIMARY KEY (id);`);
  const [{ size }] = (await c.query("SELECT pg_size_pretty(pg_database_size('bench')) AS size")).rows;
  await c.end();
  const conn = ['-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'postgres'];
  const bare = [];
  const ours = [];
  for (let i = 0; i < RUNS; i++) {
    const file = join(dir, `bare-${i}.dump`);
    let t = performance.now();
    must(
      spawnSync(tools.pgDump, ['--format=custom', '-f', file, ...conn, '-d', 'bench'], { encoding: 'utf8' }),
      'pg_dump',
    );
    await cluster.query(`CREATE DATABASE bare_${i} TEMPLATE template0`);
    must(
      spawnSync(
        tools.pgRestore,
        ['--exit-on-error', '--no-owner', '--no-privileges', ...conn, '-d', `bare_${i}`, file],
        { encoding: 'utf8' },
      ),
      'pg_restore',
    );
    bare.push(performance.now() - t);
    await cluster.query(`DROP DATABASE bare_${i}`);
    t = performance.now();
    must(
      spawnSync(
        process.execPath,
        [
          cli,
          'backup',
          '--out',
          join(dir, `ours-${i}`),
          '--verify',
          '--databases',
          'bench',
          '--dsn',
          `postgres://postgres@127.0.0.1:${cluster.port}/postgres`,
        ],
        { encoding: 'utf8', env },
      ),
      'pgharden backup',
    );
    ours.push(performance.now() - t);
  }
  const b = median(bare);
  const o = median(ours);
  console.log(
    `| bare \`pg_dump -Fc\` + \`createdb\` + \`pg_restore\` of a ${size} database (median of ${RUNS}, PostgreSQL ${major}) | | ${b.toFixed(0)} ms |`,
  );
  console.log(
    `| \`pgharden backup --verify\` of the same database: snapshot counts, dump, restore drill, compare, drop (whole process) | ${o.toFixed(0)} ms (+${(((o - b) / b) * 100).toFixed(0)}%, target ≤ +30%) | |`,
  );
} finally {
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
