/**
 * The Prometheus textfile for node_exporter's textfile collector: written atomically, so the
 * collector never reads half a file. The last success time survives a failed run (it is read
 * back from the previous file), so an alert on its age fires when backups stop succeeding.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic.js';

const LAST = 'pgharden_backup_last_success_timestamp_seconds';

export function writeMetrics(
  path: string,
  run: { ok: boolean; at: Date; rowsVerified: number; seconds: number },
): void {
  let last = run.ok ? Math.floor(run.at.getTime() / 1000) : 0;
  if (!run.ok) {
    try {
      last = Number(new RegExp(`^${LAST} (\\d+)$`, 'm').exec(readFileSync(path, 'utf8'))?.[1] ?? 0);
    } catch {
      last = 0;
    }
  }
  writeFileAtomic(
    path,
    [
      `# HELP ${LAST} When the last verified backup finished successfully (Unix time).`,
      `# TYPE ${LAST} gauge`,
      `${LAST} ${last}`,
      '# HELP pgharden_backup_last_run_success 1 when the last backup run succeeded, 0 when it failed.',
      '# TYPE pgharden_backup_last_run_success gauge',
      `pgharden_backup_last_run_success ${run.ok ? 1 : 0}`,
      '# HELP pgharden_backup_rows_verified Rows compared between the live data and the restored dumps in the last run.',
      '# TYPE pgharden_backup_rows_verified gauge',
      `pgharden_backup_rows_verified ${run.rowsVerified}`,
      '# HELP pgharden_backup_duration_seconds How long the last run took.',
      '# TYPE pgharden_backup_duration_seconds gauge',
      `pgharden_backup_duration_seconds ${run.seconds.toFixed(3)}`,
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
}
