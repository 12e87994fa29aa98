// Point-in-time recovery benchmark (`npm run bench` runs it last): the story's cluster (its
// workspace database, PostgreSQL PGHARDEN_BENCH_PG, default 15) archiving to a local pgBackRest
// repository in pgharden's archive_command shape, one full backup, then writes after it, and
// `pgharden pitr drill --latest` as a whole process, PGHARDEN_BENCH_PITR_RUNS times (default 3).
// Reports the drill's own numbers: RTO (restore + replay until promotion) and RPO (age of the last
// archived WAL when the drill began), and how long writers were held off for the restore point.
import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { findInstall } from '../dist/cluster/install.js';
import { archiveCommand } from '../dist/pitr/archive-command.js';
import { serverIdentity } from '../dist/scratch/cluster.js';
import { startStoryCluster } from '../dist/scratch/story.js';
import { bareEnvironment } from './hba-file.mjs';

const RUNS = Number(process.env.PGHARDEN_BENCH_PITR_RUNS ?? 3);
const major = Number(process.env.PGHARDEN_BENCH_PG ?? 15);
const cli = fileURLToPath(new URL('../dist/bin/pgharden.js', import.meta.url));
const env = { ...bareEnvironment(), NO_COLOR: '1' };
const must = (r, what) => {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}: ${r.stderr}`);
  return r;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const install = findInstall(major);
if (!install) throw new Error(`PostgreSQL ${major} is not installed; set PGHARDEN_BENCH_PG`);
const ids = serverIdentity();
const asServer = { uid: ids.uid, gid: ids.gid, encoding: 'utf8' };
const cluster = await startStoryCluster(install, { settings: { archive_mode: 'on' } });
const root = mkdtempSync(join(tmpdir(), 'pgharden-bench-pitr-'));
chownSync(root, ids.uid, ids.gid);
const configFile = join(root, 'pgbackrest.conf');
const stanza = 'story';
writeFileSync(
  configFile,
  `[global]\nrepo1-path=${root}/repo\nlock-path=${root}\nlog-level-file=off\nlog-level-console=warn\nstart-fast=y\nrepo1-retention-full=2\n\n[${stanza}]\npg1-path=${cluster.dataDir}\npg1-port=${cluster.port}\npg1-socket-path=${cluster.socketDir}\n`,
);
chownSync(configFile, ids.uid, ids.gid);
const pgbackrest = (...args) =>
  must(spawnSync('pgbackrest', [`--config=${configFile}`, `--stanza=${stanza}`, ...args], asServer), 'pgbackrest');
const dsn = `host=127.0.0.1 port=${cluster.port} user=postgres dbname=postgres`;
try {
  // archive_mode needs a restart, so it is on from the start (command line); archive_command takes a reload.
  await cluster.query(`ALTER SYSTEM SET archive_command = '${archiveCommand({ stanza, configFile })}'`);
  await cluster.reload();
  pgbackrest('stanza-create');
  pgbackrest('backup', '--type=full');
  const c = new pg.Client({ host: '127.0.0.1', port: cluster.port, user: 'postgres', database: 'workspace' });
  await c.connect();
  // Written after the base backup, so every drill replays WAL too.
  await c.query("INSERT INTO tasks (agent_id, title) SELECT 1 + g % 12, 'later ' || g FROM generate_series(1, 5000) g");
  await c.end();
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const r = must(
      spawnSync(process.execPath, [cli, 'pitr', 'drill', '--latest', '--json', '--dsn', dsn], {
        encoding: 'utf8',
        env,
      }),
      'pgharden pitr drill',
    );
    runs.push(JSON.parse(r.stdout));
  }
  const rto = median(runs.map((r) => r.rtoSeconds));
  const restore = median(runs.map((r) => r.restoreSeconds));
  const rpo = median(runs.map((r) => r.rpoSeconds));
  const lock = median(runs.map((r) => r.lockMs));
  console.log(
    `| \`pgharden pitr drill --latest\` of the story's cluster (workspace database, PostgreSQL ${major}, median of ${RUNS}): RTO, restore + replay until promotion | ${rto.toFixed(1)} s (of which \`pgbackrest restore\` ${restore.toFixed(1)} s) | |`,
  );
  console.log(`| same drills: RPO, age of the last archived WAL when the drill began | ${rpo.toFixed(1)} s | |`);
  console.log(`| same drills: writes held off while the restore point was marked | ${lock} ms | |`);
} finally {
  await cluster.stop();
  rmSync(root, { recursive: true, force: true });
}
