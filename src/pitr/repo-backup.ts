/**
 * `pgharden pitr backup`'s core: `pgbackrest backup` for the stanza the live archive_command names,
 * then what pgBackRest recorded of it (label, type, start and stop LSN and time, from `pgbackrest
 * info --output=json`) into the metrics file the nightly `pgharden backup` writes, under the same
 * lock when given its directory, so the two jobs never overlap. Retention is pgBackRest's own
 * repo1-retention-full (expire runs at the end of every backup).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileLedger } from '../backup/drill-ledger.js';
import { drillLedgerPath, drillStateDir } from './drill-pgbackrest.js';
import { withClient, type ConnectOptions } from '../connect/connect.js';
import { InputError } from '../core/errors.js';
import { acquirePlanLock } from '../core/lock.js';
import { gauge, lastScopedSuccess, mergeScoped, type MetricScope } from '../backup/backup-metrics.js';
import { clusterLabelOf } from '../cluster/cluster-label.js';
import { type ArchiveTarget, type TargetOverride, targetFor } from './archive-command.js';
import { requirePgBackRestFor } from './version-gate.js';
import { newestBackup, pgbackrest, serverOsUser, stanzaInfo, type BackupInfo } from './pgbackrest.js';

export interface PitrBackupOptions {
  connection: ConnectOptions;
  /** `--stanza`/`--config`: the pgBackRest set-up, when archive_command does not name it plainly. */
  target?: TargetOverride;
  type: 'full' | 'diff' | 'incr';
  /** The Prometheus textfile the nightly job writes (its families are kept). */
  metrics?: string;
  /** The nightly job's --out: its lock is taken, so a dump run and this backup never overlap. */
  lockDir?: string;
  log: (line: string) => void;
}

export interface PitrBackupResult {
  target: ArchiveTarget;
  backup: BackupInfo;
  seconds: number;
}

/** The pgBackRest set-up the live archive_command names; an input error when it is not pgharden's. */
export async function liveTarget(
  connection: ConnectOptions,
  what = 'pitr backup',
  override: TargetOverride = {},
): Promise<{ target: ArchiveTarget; dataDirectory: string; cluster: string }> {
  const r = await withClient(
    connection,
    async (c) =>
      (
        await c.query<{ cmd: string; dir: string; mode: string; num: string; config_file: string; port: string }>(
          "SELECT current_setting('archive_command') AS cmd, current_setting('data_directory') AS dir, current_setting('archive_mode') AS mode, current_setting('server_version_num') AS num, current_setting('config_file') AS config_file, current_setting('port') AS port",
        )
      ).rows[0]!,
  );
  const target = r.mode === 'off' ? null : overridden(r.cmd, override);
  if (!target)
    throw new InputError(
      r.mode === 'off'
        ? 'WAL archiving is off on this server (archive_mode = off): there is no pgBackRest set-up to back up with'
        : `archive_command is '${r.cmd}', not a pgBackRest archive-push pgharden can read (pgbackrest [--config FILE] --stanza NAME archive-push %p): this server's archiving is not pgBackRest's, or not in a form pgharden reads`,
      'set it up with: pgharden pitr enable --repo DIR --restart (then apply the plan)',
    );
  await requirePgBackRestFor(Math.floor(Number(r.num) / 10000), what);
  return { target, dataDirectory: r.dir, cluster: clusterLabelOf(r) };
}

const PREFIX = 'pgharden_pitr_backup';

/** `targetFor`, its complaints as input errors. */
export function overridden(command: string, o: TargetOverride): ArchiveTarget | null {
  try {
    return targetFor(command, o);
  } catch (err) {
    throw new InputError((err as Error).message, 'e.g. --stanza main --config /etc/pgbackrest/pgbackrest.conf');
  }
}

/** Records the metrics file in the stanza's drill history, so rollback finds the samples to remove. */
function noteMetricsFile(target: ArchiveTarget, metrics: string): void {
  try {
    mkdirSync(drillStateDir(target), { recursive: true, mode: 0o700 });
    const ledger = fileLedger(drillLedgerPath(target), 'pitr');
    ledger.noteMetrics(resolve(metrics));
    ledger.close();
  } catch {
    // The history is a convenience for rollback: a backup is not failed for it.
  }
}

/** Records a pitr backup run in the shared metrics file. */
function writePitrMetrics(path: string, scope: MetricScope, ok: boolean, b: BackupInfo | null, seconds: number): void {
  const last = `${PREFIX}_last_success_timestamp_seconds`;
  mergeScoped(path, scope, [
    gauge(
      last,
      'When the last pgBackRest backup finished successfully (Unix time).',
      lastScopedSuccess(path, last, scope, { ok, at: b?.stop ?? new Date() }),
    ),
    gauge(`${PREFIX}_last_run_success`, '1 when the last pitr backup run succeeded, 0 when it failed.', ok ? 1 : 0),
    gauge(`${PREFIX}_duration_seconds`, 'How long the last pitr backup run took.', seconds.toFixed(3)),
    ...(b
      ? [
          {
            name: `${PREFIX}_info`,
            help: 'The last pgBackRest backup: its label, type, and start and stop LSN.',
            samples: [
              {
                labels: { label: b.label, type: b.type, lsn_start: b.lsnStart ?? '', lsn_stop: b.lsnStop ?? '' },
                value: 1,
              },
            ],
          },
          gauge(
            `${PREFIX}_start_timestamp_seconds`,
            'When the last pgBackRest backup started (Unix time).',
            b.start.getTime() / 1000,
          ),
          gauge(
            `${PREFIX}_stop_timestamp_seconds`,
            'When the last pgBackRest backup stopped (Unix time).',
            b.stop.getTime() / 1000,
          ),
        ]
      : []),
  ]);
}

export async function pitrBackup(o: PitrBackupOptions): Promise<PitrBackupResult> {
  const { target, dataDirectory, cluster } = await liveTarget(o.connection, 'pitr backup', o.target);
  const as = serverOsUser(dataDirectory);
  if (o.lockDir) mkdirSync(o.lockDir, { recursive: true, mode: 0o700 });
  const lock = o.lockDir ? acquirePlanLock(o.lockDir) : null;
  const started = Date.now();
  let backup: BackupInfo | null = null;
  let ok = false;
  try {
    const before = newestBackup(await stanzaInfo(target, { as }))?.label ?? null;
    o.log(`pgbackrest backup --type=${o.type} (stanza ${target.stanza}, ${target.configFile}), as ${as.name}`);
    await pgbackrest(target, 'backup', [`--type=${o.type}`], { as, timeoutMs: 6 * 3600_000 });
    backup = newestBackup(await stanzaInfo(target, { as }));
    if (!backup || backup.label === before)
      throw new Error(
        `pgbackrest backup exited 0, but pgbackrest info lists no new backup for stanza ${target.stanza}`,
      );
    ok = true;
    return { target, backup, seconds: (Date.now() - started) / 1000 };
  } finally {
    lock?.release();
    if (o.metrics) noteMetricsFile(target, o.metrics);
    if (o.metrics)
      writePitrMetrics(
        o.metrics,
        { cluster, stanza: target.stanza },
        ok,
        ok ? backup : null,
        (Date.now() - started) / 1000,
      );
  }
}
