import { staleness } from '../age.js';
import type { AuditCheck } from '../finding-types.js';

/** The newest backup is older than --max-backup-age days, or there is none. */
export const check: AuditCheck = {
  id: 'backup-stale',
  title: 'no recent backup',
  run(s) {
    const r = s.recovery;
    const stale = r ? staleness(r.now, r.lastBackup, r.maxBackupAgeDays) : null;
    if (!r || !stale) return [];
    const age = stale.age;
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
