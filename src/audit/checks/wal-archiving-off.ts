import type { AuditCheck } from '../finding-types.js';

/** archive_mode off, or on with no archive_command: no WAL leaves the server, so no point-in-time recovery. */
export const check: AuditCheck = {
  id: 'wal-archiving-off',
  title: 'WAL archiving is off: no point-in-time recovery',
  run(s) {
    const r = s.recovery;
    if (!r) return [];
    const noCommand = r.archiveCommand === '' || r.archiveCommand === '(disabled)';
    if (r.archiveMode !== 'off' && !noCommand) return [];
    return [
      {
        severity: 'medium',
        evidence: [
          `archive_mode = ${r.archiveMode}`,
          ...(r.archiveMode !== 'off' ? ['archive_command is empty: WAL is kept, never archived'] : []),
          `wal_level = ${r.walLevel}`,
        ],
        why: 'Without archived WAL a restore goes back only to the last backup: an accidental DELETE or a lost disk costs every change since then (a day, with nightly dumps).',
        fix: {
          stage: 'manual',
          text: 'Set up pgBackRest with a reviewed, reversible plan: pgharden pitr enable --repo /var/lib/pgbackrest --restart (then pgharden apply plans/NAME), and schedule pgharden pitr backup.',
        },
      },
    ];
  },
};
