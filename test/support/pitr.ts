/**
 * A scratch cluster archiving to a local pgBackRest repository, set up by hand in exactly the shape
 * `pitr enable` records (src/pitr/archive-command.ts): a pgBackRest configuration file beside the
 * repository, `archive_mode = on` and pgharden's `archive_command`, then `stanza-create`; the test takes its
 * backups (`backup()`) when its data is in place. The repository lives in a temp directory owned
 * by the server's OS user, removed by `stop()`.
 */
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PgInstall } from '../../src/cluster/install.js';
import { archiveCommand } from '../../src/pitr/archive-command.js';
import { run } from '../../src/process/run.js';
import { serverIdentity, startCluster, type Cluster } from '../../src/scratch/cluster.js';

/** What a test needs to drive pgBackRest for a cluster set up by `enableArchiving`. */
export interface PitrSetup {
  stanza: string;
  configFile: string;
  repo: string;
  /** Runs `pgbackrest --config --stanza ARGS` as the server's OS user; returns stdout. */
  pgbackrest(args: string[]): Promise<string>;
  /** A full backup; returns its label. */
  backup(): Promise<string>;
}

/** A scratch cluster archiving to its own repository (stanza created, no backup yet). Stop both with `stop()`. */
export async function startArchivingCluster(
  install: PgInstall,
  stanza = 'drill',
): Promise<{ cluster: Cluster; pitr: PitrSetup; stop(): Promise<void> }> {
  const ids = serverIdentity();
  const root = mkdtempSync(join(tmpdir(), 'pgharden-pgbackrest-'));
  const repo = join(root, 'repo');
  for (const d of [root, repo, join(root, 'lock')]) {
    mkdirSync(d, { recursive: true, mode: 0o750 });
    chownSync(d, ids.uid, ids.gid);
  }
  const configFile = join(root, 'pgbackrest.conf');
  // archive_mode needs a restart: set from the start, in postgresql.conf, the way enable's restart leaves it.
  const cluster = await startCluster(install, {
    appendConf: `\nwal_level = replica\narchive_mode = on\narchive_command = '${archiveCommand({ stanza, configFile })}'\n`,
  });
  const stop = async () => {
    await cluster.stop();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    cluster.writeFile(
      configFile,
      [
        '[global]',
        `repo1-path=${repo}`,
        'repo1-retention-full=2',
        `lock-path=${join(root, 'lock')}`,
        'log-level-file=off',
        'log-level-console=warn',
        'start-fast=y',
        '',
        `[${stanza}]`,
        `pg1-path=${cluster.dataDir}`,
        `pg1-port=${cluster.port}`,
        `pg1-socket-path=${cluster.socketDir}`,
        '',
      ].join('\n'),
      0o640,
    );
    const pgbackrest = async (args: string[]) =>
      (
        await run('pgbackrest', [`--config=${configFile}`, `--stanza=${stanza}`, ...args], {
          uid: ids.uid,
          gid: ids.gid,
          timeoutMs: 120_000,
        })
      ).stdout;
    await pgbackrest(['stanza-create']);
    const backup = async () => {
      await pgbackrest(['backup', '--type=full']);
      const info = JSON.parse(await pgbackrest(['info', '--output=json'])) as { backup: { label: string }[] }[];
      return info[0]!.backup.at(-1)!.label;
    };
    return { cluster, pitr: { stanza, configFile, repo, pgbackrest, backup }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
