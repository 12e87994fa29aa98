/**
 * Gathers what the audit's recovery checks judge: archive settings and pg_stat_archiver (SQL), the
 * newest backup (pgBackRest info when the archive_command is pgharden's, else the metrics file the
 * nightly job writes) and the newest drill (the metrics file's drill family). What cannot be read
 * is left unknown and said in the snapshot's limits, never taken as "no backup".
 */
import type pg from 'pg';
import { DRILL_LAST, readMetrics } from '../backup/metrics.js';
import type { RecoveryEvent, RecoveryFacts } from '../cluster/recovery-facts.js';
import { parseArchiveCommand } from './archive-command.js';
import { newestBackup, serverOsUser, stanzaInfo } from './pgbackrest.js';

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

/** The facts; `limits` gets a line for each one that could not be read. */
export async function recoveryFacts(
  client: pg.Client,
  o: RecoveryOptions,
  now: Date,
  limits: string[],
): Promise<RecoveryFacts> {
  const [r] = (
    await client.query<{ mode: string; wal: string; cmd: string; dir: string | null }>(
      "SELECT current_setting('archive_mode') AS mode, current_setting('wal_level') AS wal, current_setting('archive_command') AS cmd, (SELECT setting FROM pg_settings WHERE name = 'data_directory') AS dir",
    )
  ).rows;
  const a = (
    await client.query<{ n: string; w: string | null; t: Date | null; f: string; fw: string | null; ft: Date | null }>(
      'SELECT archived_count AS n, last_archived_wal AS w, last_archived_time AS t, failed_count AS f, last_failed_wal AS fw, last_failed_time AS ft FROM pg_stat_archiver',
    )
  ).rows[0];
  const target = parseArchiveCommand(r!.cmd);
  const facts: RecoveryFacts = {
    now: now.toISOString(),
    archiveMode: r!.mode,
    walLevel: r!.wal,
    archiveCommand: r!.cmd,
    stanza: target?.stanza ?? null,
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
    maxBackupAgeDays: o.maxBackupAgeDays ?? 2,
    maxDrillAgeDays: o.maxDrillAgeDays ?? 31,
  };
  const metrics = o.metrics ? readMetrics(o.metrics) : null;
  if (target && r!.dir) {
    try {
      const b = newestBackup(await stanzaInfo(target, { as: serverOsUser(r!.dir), timeoutMs: 60_000 }));
      facts.lastBackup = b ? { at: b.stop.toISOString(), what: `pgBackRest ${b.type} backup ${b.label}` } : null;
      facts.backupSource = `pgbackrest info (stanza ${target.stanza}, ${target.configFile})`;
    } catch (err) {
      limits.push(`pgBackRest info for stanza ${target.stanza}: ${(err as Error).message.split('\n')[0]}`);
    }
  } else if (metrics) {
    facts.lastBackup = at(metrics.get('pgharden_backup_last_success_timestamp_seconds'), 'pgharden backup (dumps)');
    facts.backupSource = o.metrics!;
  }
  if (metrics) {
    facts.lastDrill = newest(
      [...metrics].map(([k, v]) => {
        const kind = new RegExp(`^${DRILL_LAST}\\{kind="([^"]+)"\\}$`).exec(k)?.[1];
        return kind ? at(v, `${kind} drill`) : null;
      }),
    );
  }
  return facts;
}
