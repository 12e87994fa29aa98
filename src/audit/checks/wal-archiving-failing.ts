import type { AuditCheck } from '../finding-types.js';

/** pg_stat_archiver: the last attempt failed after the last success, so WAL piles up in pg_wal and the archive has a gap. */
export const check: AuditCheck = {
  id: 'wal-archiving-failing',
  title: 'WAL archiving is failing',
  run(s) {
    const a = s.recovery?.archiver;
    if (!a || s.recovery?.archiveMode === 'off' || a.lastFailedTime === null) return [];
    if (a.lastArchivedTime !== null && Date.parse(a.lastArchivedTime) >= Date.parse(a.lastFailedTime)) return [];
    return [
      {
        severity: 'high',
        evidence: [
          `pg_stat_archiver: last failed ${a.lastFailedWal ?? '?'} at ${a.lastFailedTime} (${a.failedCount} failures)`,
          `last archived: ${a.lastArchivedWal ? `${a.lastArchivedWal} at ${a.lastArchivedTime}` : 'never'}`,
          `archive_command = '${s.recovery!.archiveCommand}'`,
          ...(s.recovery!.archiveError ? [`pgBackRest's last archive-push error: ${s.recovery!.archiveError}`] : []),
        ],
        why: 'The server keeps every WAL segment it could not archive: pg_wal grows until the disk is full and the server stops, and point-in-time recovery cannot go past the first missing segment.',
        fix: {
          stage: 'manual',
          text: 'Read the server log for the archive_command error (with pgBackRest: pgbackrest --stanza=NAME check, and its log in log-path), fix it, then watch pg_stat_archiver.last_archived_time move.',
        },
      },
    ];
  },
};
