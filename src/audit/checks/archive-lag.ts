import type { AuditCheck } from '../finding-types.js';

/** Without archive_timeout a quiet server may hold unarchived writes this long before it is judged lagging. */
const NO_TIMEOUT_LIMIT_S = 3600;

/**
 * WAL written after the last archived segment has waited longer than the RPO target allows
 * (twice archive_timeout, or an hour when archive_timeout is 0): a lost server loses those writes.
 */
export const check: AuditCheck = {
  id: 'archive-lag',
  title: 'WAL waits too long to be archived',
  run(s) {
    const r = s.recovery;
    if (!r || r.archiveMode === 'off' || r.archiveCommand === '' || r.archiveCommand === '(disabled)') return [];
    const bound = r.rpoBoundSeconds;
    if (bound === undefined || bound === null) return [];
    const timeout = r.archiveTimeoutSeconds ?? 0;
    const limit = timeout > 0 ? 2 * timeout : NO_TIMEOUT_LIMIT_S;
    if (bound <= limit) return [];
    const a = r.archiver;
    return [
      {
        severity: 'medium',
        evidence: [
          `the oldest write not yet archived is up to ${Math.round(bound)} s old (the limit is ${limit} s: ${timeout > 0 ? `twice archive_timeout = ${timeout}` : 'archive_timeout is 0, so one hour'})`,
          `last archived: ${a?.lastArchivedWal ? `${a.lastArchivedWal} at ${a.lastArchivedTime}` : 'never'}`,
        ],
        why: 'WAL leaves the server only when a segment is full or archive_timeout closes it: on a quiet server the open segment can hold hours of commits that a lost disk or host takes with it, whatever the backups say.',
        fix: {
          stage: 'manual',
          text:
            timeout > 0
              ? 'Archiving is slower than archive_timeout asks: look for archive_command errors (pgbackrest check, its log) and a slow repository.'
              : 'Set the RPO target: pgharden pitr enable --rpo 300 (archive_timeout = 300 s), or ALTER SYSTEM SET archive_timeout = 300 and reload.',
        },
      },
    ];
  },
};
