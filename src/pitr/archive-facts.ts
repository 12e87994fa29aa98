/**
 * Gathers what the audit's recovery checks judge: archive settings and pg_stat_archiver (SQL), the
 * RPO bound, the newest backup (pgBackRest info when the archive_command names a pgBackRest
 * stanza, else the metrics file the nightly job writes), pgBackRest's last archive-push error, and
 * the newest drill (the stanza's drill history, and this cluster's samples in the metrics file).
 * What cannot be read is left unknown and said in the snapshot's limits with its cause, never
 * taken as "no backup".
 */
import { existsSync } from 'node:fs';
import type pg from 'pg';
import { fileLedger, type PitrDrillRecord } from '../backup/drill-ledger.js';
import { DRILL_LAST, labelsOf, readMetrics } from '../backup/backup-metrics.js';
import { clusterLabelOf } from '../cluster/cluster-label.js';
import type { RecoveryEvent, RecoveryFacts } from '../cluster/recovery-facts.js';
import { adoptArchiveCommand, type ArchiveTarget } from './archive-command.js';
import { drillLedgerPath, lastArchivePushError, stanzaOption } from './drill-pgbackrest.js';
import { rpoBound } from './drill-live.js';
import { newestBackup, pgbackrest, serverOsUser, stanzaInfo, unreadable, type ServerOsUser } from './pgbackrest.js';

export interface RecoveryOptions {
  /** The Prometheus textfile of `pgharden backup` / `pitr backup` / the drills. */
  metrics?: string;
  maxBackupAgeDays?: number;
  maxDrillAgeDays?: number;
}

const at = (seconds: number | undefined, what: string): RecoveryEvent | null =>
  seconds ? { at: new Date(seconds * 1000).toISOString(), what } : null;

/** The newest of some events (null when none). */
const newest = (events: (RecoveryEvent | null)[]) =>
  events.filter((e): e is RecoveryEvent => e !== null).sort((a, b) => b.at.localeCompare(a.at))[0] ?? null;

interface Settings {
  mode: string;
  wal: string;
  cmd: string;
  dir: string | null;
  config_file: string | null;
  num: string;
  port: string;
  timeout: string;
  lsn: string | null;
  seg: string;
}

const SETTINGS = `SELECT current_setting('archive_mode') AS mode, current_setting('wal_level') AS wal,
  current_setting('archive_command') AS cmd, (SELECT setting FROM pg_settings WHERE name = 'data_directory') AS dir,
  (SELECT setting FROM pg_settings WHERE name = 'config_file') AS config_file, current_setting('server_version_num') AS num,
  current_setting('port') AS port, (SELECT setting FROM pg_settings WHERE name = 'archive_timeout') AS timeout,
  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS lsn,
  pg_size_bytes(current_setting('wal_segment_size'))::text AS seg`;

/**
 * What `pgbackrest check --no-archive-check` says is wrong (the configuration, the repository's
 * info files, the database link), without the WAL switch a full check makes: the audit changes
 * nothing. Its ERROR line and the lines that follow it, or null when it passes or cannot run.
 */
async function checkError(target: ArchiveTarget, as: ServerOsUser): Promise<string | null> {
  try {
    await pgbackrest(target, 'check', ['--no-archive-check'], { as, timeoutMs: 30_000 });
    return null;
  } catch (err) {
    const lines = ((err as { stderrTail?: string }).stderrTail ?? (err as Error).message).split('\n');
    const at = lines.findIndex((l) => /ERROR: /.test(l));
    if (at < 0) return null;
    return `pgbackrest check: ${lines
      .slice(at, at + 3)
      .map((l) => l.trim())
      .join(' ')}`;
  }
}

/** repo1…repo4 as the stanza's configuration names them (repo1 always: pgBackRest's default is a local directory). */
function repositoriesOf(t: ArchiveTarget): RecoveryFacts['repositories'] {
  if (stanzaOption(t, 'repo1-path', '') === undefined) return undefined; // no configuration file readable
  const out: NonNullable<RecoveryFacts['repositories']> = [];
  for (let key = 1; key <= 4; key++) {
    const type = stanzaOption(t, `repo${key}-type`, '');
    const path = stanzaOption(t, `repo${key}-path`, '');
    const host = stanzaOption(t, `repo${key}-host`, '');
    if (key > 1 && !type && !path && !host) continue;
    out.push({
      key,
      type: type || 'posix',
      path: path || (key === 1 ? '/var/lib/pgbackrest' : ''),
      host: host || null,
    });
  }
  return out;
}

/** The facts; `limits` gets a line for each one that could not be read. */
export async function recoveryFacts(
  client: pg.Client,
  o: RecoveryOptions,
  now: Date,
  limits: string[],
): Promise<RecoveryFacts> {
  const r = (await client.query<Settings>(SETTINGS)).rows[0]!;
  const a = (
    await client.query<{ n: string; w: string | null; t: Date | null; f: string; fw: string | null; ft: Date | null }>(
      'SELECT archived_count AS n, last_archived_wal AS w, last_archived_time AS t, failed_count AS f, last_failed_wal AS fw, last_failed_time AS ft FROM pg_stat_archiver',
    )
  ).rows[0];
  const target = adoptArchiveCommand(r.cmd);
  const cluster = clusterLabelOf(r);
  const facts: RecoveryFacts = {
    now: now.toISOString(),
    archiveMode: r.mode,
    walLevel: r.wal,
    archiveCommand: r.cmd,
    stanza: target?.stanza ?? null,
    cluster,
    archiver: a
      ? {
          archivedCount: Number(a.n),
          lastArchivedWal: a.w,
          lastArchivedTime: a.t?.toISOString() ?? null,
          failedCount: Number(a.f),
          lastFailedWal: a.fw,
          lastFailedTime: a.ft?.toISOString() ?? null,
        }
      : null,
    archiveTimeoutSeconds: Number(r.timeout),
    ...(a && r.lsn
      ? {
          rpoBoundSeconds: rpoBound({
            lastArchivedWal: a.w,
            lastArchivedTime: a.t,
            currentLsn: r.lsn,
            segBytes: Number(r.seg),
            now,
          }),
        }
      : {}),
    maxBackupAgeDays: o.maxBackupAgeDays ?? 2,
    maxDrillAgeDays: o.maxDrillAgeDays ?? 31,
  };
  const metrics = o.metrics ? readMetrics(o.metrics) : null;
  const drills: (RecoveryEvent | null)[] = [];
  if (target) {
    const a0 = facts.archiver;
    const failing =
      a0?.lastFailedTime != null &&
      (a0.lastArchivedTime === null || Date.parse(a0.lastFailedTime) > Date.parse(a0.lastArchivedTime));
    facts.repositories = repositoriesOf(target);
    facts.archiveError = failing
      ? ((r.dir ? await checkError(target, serverOsUser(r.dir)) : null) ?? lastArchivePushError(target))
      : null;
    if (r.dir) {
      const source = `pgbackrest info (stanza ${target.stanza}, ${target.configFile})`;
      try {
        const info = await stanzaInfo(target, { as: serverOsUser(r.dir), timeoutMs: 60_000 });
        const why = unreadable(info);
        if (why) limits.push(`backup-stale not judged: ${why}`);
        else {
          const b = newestBackup(info);
          facts.lastBackup = b ? { at: b.stop.toISOString(), what: `pgBackRest ${b.type} backup ${b.label}` } : null;
          facts.backupSource = source;
        }
      } catch (err) {
        limits.push(`backup-stale not judged: ${source} failed: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    const history = drillLedgerPath(target);
    try {
      const passed = existsSync(history)
        ? fileLedger(history, 'pitr')
            .records()
            .filter((x): x is PitrDrillRecord => x.kind === 'pitr-result' && x.ok)
        : [];
      drills.push(
        at(passed.length ? Date.parse(passed.at(-1)!.at) / 1000 : undefined, `pitr drill (history ${history})`),
      );
    } catch (err) {
      limits.push(`drill history ${history} could not be read: ${(err as Error).message.split('\n')[0]}`);
    }
  } else if (metrics) {
    facts.lastBackup = at(metrics.get('pgharden_backup_last_success_timestamp_seconds'), 'pgharden backup (dumps)');
    facts.backupSource = o.metrics!;
  }
  if (metrics) {
    for (const [k, v] of metrics) {
      if (!k.startsWith(`${DRILL_LAST}{`)) continue;
      const l = labelsOf(k);
      // Only this cluster's drills count: another cluster's drill proves nothing about this one.
      if (l.cluster === cluster) drills.push(at(v, `${l.kind ?? '?'} drill (${o.metrics})`));
    }
  }
  if (target || metrics) facts.lastDrill = newest(drills);
  else
    limits.push(
      'drill-stale not judged: no pgharden pgBackRest set-up (its drill history) and no --metrics file (pgharden backup --verify drills)',
    );
  return facts;
}
