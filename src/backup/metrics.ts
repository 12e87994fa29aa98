/**
 * The Prometheus textfile for node_exporter's textfile collector: written atomically, so the
 * collector never reads half a file. The last success time survives a failed run (it is read
 * back from the previous file), so an alert on its age fires when backups stop succeeding.
 * `pgharden backup` and `pgharden pitr drill` share the file: each rewrites its own metric
 * family (`pgharden_backup_*`, `pgharden_pitr_*`) and keeps the other's lines.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic.js';

const LAST = 'pgharden_backup_last_success_timestamp_seconds';
const PITR_LAST = 'pgharden_pitr_drill_last_success_timestamp_seconds';

function previous(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Writes `lines` (one family, named by `prefix`) and keeps the other families' lines of the file. */
function writeFamily(path: string, prefix: string, lines: string[]): void {
  const kept = previous(path)
    .split('\n')
    .filter((l) => l !== '' && !l.replace(/^# (HELP|TYPE) /, '').startsWith(prefix));
  writeFileAtomic(path, [...kept, ...lines, ''].join('\n'), { mode: 0o644 });
}

/** The last success time a previous file recorded for `metric` (0 when none). */
const lastSuccess = (text: string, metric: string) =>
  Number(new RegExp(`^${metric} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);

/** The `pitr drill` family: outcome, last success, RTO and RPO in seconds. */
export function writePitrMetrics(
  path: string,
  run: { ok: boolean; at: Date; rtoSeconds: number | null; rpoSeconds: number | null },
): void {
  const last = run.ok ? Math.floor(run.at.getTime() / 1000) : lastSuccess(previous(path), PITR_LAST);
  /** HELP, TYPE and the value of one gauge; nothing when the value was not measured. */
  const gauge = (name: string, help: string, value: number | null, digits = 0) =>
    value === null ? [] : [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value.toFixed(digits)}`];
  writeFamily(path, 'pgharden_pitr_', [
    ...gauge(PITR_LAST, 'When the last point-in-time restore drill passed (Unix time).', last),
    ...gauge('pgharden_pitr_drill_last_run_success', '1 when the last drill passed, 0 when it failed.', run.ok ? 1 : 0),
    ...gauge('pgharden_pitr_rto_seconds', 'Restore and replay until promotion in the last drill.', run.rtoSeconds, 3),
    ...gauge('pgharden_pitr_rpo_seconds', 'Age of the last archived WAL when the last drill began.', run.rpoSeconds, 3),
  ]);
}

export function writeMetrics(
  path: string,
  run: { ok: boolean; at: Date; rowsVerified: number; seconds: number },
): void {
  const last = run.ok ? Math.floor(run.at.getTime() / 1000) : lastSuccess(previous(path), LAST);
  writeFamily(path, 'pgharden_backup_', [
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
  ]);
}
