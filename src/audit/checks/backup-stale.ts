import type { AuditCheck } from '../types.js';

const DAY = 86_400_000;

/** The newest backup is older than --max-backup-age days, or there is none. */
export const check: AuditCheck = {
  id: 'backup-stale',
  title: 'no recent backup',
  run(s) {
    const r = s.recovery;
    if (!r || r.lastBackup === undefined) return [];
    const age = r.lastBackup ? (Date.parse(r.now) - Date.parse(r.lastBackup.at)) / DAY : null;
    if (age !== null && age <= r.maxBackupAgeDays) return [];
    return [
      {
        severity: 'high',
        evidence: [
          r.lastBackup
            ? `newest backup: ${r.lastBackup.what}, finished ${r.lastBackup.at} (${age!.toFixed(1)} days ago; the limit is ${r.maxBackupAgeDays})`
            : 'no successful backup found',
          `looked in: ${r.backupSource ?? '?'}`,
        ],
        why: 'A backup older than the limit means the backup job stopped or fails: a restore today would lose everything since.',
        fix: {
          stage: 'manual',
          text: 'Run the backup now (pgharden pitr backup, or pgharden backup --out DIR --verify), find why the scheduled job stopped (cron, systemd timer, its exit code), and alert on pgharden_backup_last_success_timestamp_seconds.',
        },
      },
    ];
  },
};
