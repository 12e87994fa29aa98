/**
 * A scratch cluster archiving to a local pgBackRest repository, set up the way a user does it:
 * `pgharden pitr enable --restart --yes` (the plan: pgBackRest's file, the repository, archive_mode
 * and pgharden's archive_command, the restart, stanza-create, check, a WAL switch proven in the
 * repository), and backups by `pgharden pitr backup`. The pgBackRest file, its log and the
 * repository live in a temp directory, removed by `stop()`.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PgInstall } from '../../src/cluster/install.js';
import { run } from '../../src/process/run.js';
import { startCluster, type Cluster } from '../../src/scratch/cluster.js';
import { pghardenAsync } from './cli.js';

/** What a test needs to drive pgBackRest for a cluster set up by `startArchivingCluster`. */
export interface PitrSetup {
  stanza: string;
  /** The plan directory `pitr enable` made. */
  plan: string;
  /** pgBackRest's log directory. */
  log: string;
  configFile: string;
  repo: string;
  /** Runs `pgbackrest --config --stanza ARGS` as the server's OS user; returns stdout. */
  pgbackrest(args: string[]): Promise<string>;
  /** A full backup by `pgharden pitr backup`; returns its label. */
  backup(): Promise<string>;
}

/** A scratch cluster archiving to its own repository (stanza created, no backup yet). Stop both with `stop()`. */
export async function startArchivingCluster(
  install: PgInstall,
  stanza = 'drill',
  enableArgs: string[] = [],
): Promise<{ cluster: Cluster; pitr: PitrSetup; stop(): Promise<void> }> {
  const root = mkdtempSync(join(tmpdir(), 'pgharden-pgbackrest-'));
  chmodSync(root, 0o755);
  const repo = join(root, 'repo');
  const log = join(root, 'log');
  const configFile = join(root, 'pgbackrest.conf');
  const cluster = await startCluster(install);
  const stop = async () => {
    await cluster.stop();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    mkdirSync(log);
    chownSync(log, cluster.uid, cluster.gid);
    const dsn = `host=${cluster.socketDir} port=${cluster.port}`;
    const enabled = await pghardenAsync([
      'pitr',
      'enable',
      '--dsn',
      dsn,
      '--repo',
      repo,
      '--config',
      configFile,
      '--log-path',
      log,
      '--stanza',
      stanza,
      '--retention-full',
      '2',
      '--out',
      join(root, 'plans', 'pitr'),
      '--restart',
      '--yes',
      ...enableArgs,
    ]);
    if (enabled.code !== 0)
      throw new Error(`pitr enable failed (${enabled.code}):\n${enabled.stdout}\n${enabled.stderr}`);
    const pgbackrest = async (args: string[]) =>
      (
        await run('pgbackrest', [`--config=${configFile}`, `--stanza=${stanza}`, ...args], {
          uid: cluster.uid,
          gid: cluster.gid,
          timeoutMs: 120_000,
          cwd: '/',
        })
      ).stdout;
    const backup = async () => {
      const b = await pghardenAsync(['pitr', 'backup', '--type', 'full', '--dsn', dsn, '--json']);
      if (b.code !== 0) throw new Error(`pitr backup failed (${b.code}): ${b.stderr}`);
      return (JSON.parse(b.stdout) as { backup: { label: string } }).backup.label;
    };
    return {
      cluster,
      pitr: { stanza, plan: join(root, 'plans', 'pitr'), log, configFile, repo, pgbackrest, backup },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** pgBackRest is installed (Debian's package `pgbackrest`); the tests that need it skip with one line otherwise. */
export const PGBACKREST_PRESENT = spawnSync('pgbackrest', ['version'], { stdio: 'ignore' }).status === 0;
if (!PGBACKREST_PRESENT)
  console.log('point-in-time recovery tests skipped: pgbackrest is not installed (apt-get install pgbackrest)');
