/**
 * What the recovery checks of the audit judge: WAL archiving as the server runs it, and when the
 * newest backup and the newest restore drill finished. Gathered at the edge (pitr/recovery-facts.ts:
 * SQL, pgBackRest, the metrics file) and carried in the snapshot, so the checks stay pure.
 */

/** pg_stat_archiver's counters (times as ISO text). */
export interface ArchiverStats {
  archivedCount: number;
  lastArchivedWal: string | null;
  lastArchivedTime: string | null;
  failedCount: number;
  lastFailedWal: string | null;
  lastFailedTime: string | null;
}

/** A backup or a drill: when it finished and what it was. */
export interface RecoveryEvent {
  at: string;
  what: string;
}

export interface RecoveryFacts {
  /** When the facts were gathered (ISO): the checks' "now". */
  now: string;
  archiveMode: string;
  walLevel: string;
  /** The archive_command as set ('' when none). */
  archiveCommand: string;
  /** pgharden's pgBackRest stanza, when archive_command is the one pitr enable writes. */
  stanza: string | null;
  /** This cluster in the metrics file: `15/main` or `pg15-5432`. */
  cluster?: string;
  archiver: ArchiverStats | null;
  /** pgBackRest's own last archive-push error (its log), when it has one. */
  archiveError?: string | null;
  /** The stanza's pgBackRest repositories as its configuration names them; absent when not read. */
  repositories?: { key: number; type: string; path: string; host: string | null }[];
  /** archive_timeout in seconds (0: off). */
  archiveTimeoutSeconds?: number;
  /** Seconds since the oldest write not yet archived (0: all archived); null when nothing was ever archived. */
  rpoBoundSeconds?: number | null;
  /** The newest backup; null: none found; absent: not known (no pgBackRest set-up and no metrics file). */
  lastBackup?: RecoveryEvent | null;
  /** The newest successful restore drill; null: none recorded; absent: not known (no metrics file). */
  lastDrill?: RecoveryEvent | null;
  /** Where the backup facts came from (pgBackRest info, or the metrics file). */
  backupSource?: string;
  maxBackupAgeDays: number;
  maxDrillAgeDays: number;
}
