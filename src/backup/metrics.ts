/**
 * The Prometheus textfile for node_exporter's textfile collector: written atomically, so the
 * collector never reads half a file. Several jobs share one file (the nightly dumps, `pitr backup`,
 * the drills): each replaces only its own metric families and keeps the others' lines. The last
 * success time survives a failed run (it is read back from the previous file), so an alert on its
 * age fires when backups stop succeeding.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic.js';

const LAST = 'pgharden_backup_last_success_timestamp_seconds';

/** One metric family: its samples as `labels → value` (labels `''` for none). */
export interface MetricFamily {
  name: string;
  help: string;
  samples: { labels?: Record<string, string>; value: number | string }[];
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

const familyOf = (line: string) => /^(?:# (?:HELP|TYPE) )?([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line)?.[1];

/** The samples in a metrics file, keyed `name` or `name{labels}` as written; an absent file has none. */
export function readMetrics(path: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of readText(path).split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(l);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

const escapeLabel = (v: string) => v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');

/**
 * Replaces these families in the file (gauges), keeping every other family's lines as they were;
 * a family given without samples is removed (a value the last run could not measure).
 */
export function mergeMetrics(path: string, families: readonly MetricFamily[]): void {
  const mine = new Set(families.map((f) => f.name));
  const kept = readText(path)
    .split('\n')
    .filter((l) => l !== '' && !mine.has(familyOf(l) ?? ''));
  const lines = families
    .filter((f) => f.samples.length > 0)
    .flatMap((f) => [
      `# HELP ${f.name} ${f.help}`,
      `# TYPE ${f.name} gauge`,
      ...f.samples.map((s) => {
        const labels = Object.entries(s.labels ?? {});
        return `${f.name}${labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : ''} ${s.value}`;
      }),
    ]);
  writeFileAtomic(path, `${[...kept, ...lines].join('\n')}\n`, { mode: 0o644 });
}

/** A family of one unlabelled gauge. */
export const gauge = (name: string, help: string, value: number | string): MetricFamily => ({
  name,
  help,
  samples: [{ value }],
});

/** The last success time: now when this run succeeded, else the one the file holds (0 if none). */
export function lastSuccess(path: string, name: string, run: { ok: boolean; at: Date }): number {
  return run.ok ? Math.floor(run.at.getTime() / 1000) : (readMetrics(path).get(name) ?? 0);
}

/** The drills' family: one success time per kind of drill (`dump`: the nightly --verify; `pitr`: pitr drill). */
export const DRILL_LAST = 'pgharden_drill_last_success_timestamp_seconds';

/** The drill family with `kind` passed at `at`, the other kinds' samples kept as the file has them. */
function drillFamily(path: string, kind: 'dump' | 'pitr', at: Date): MetricFamily {
  const others = [...readMetrics(path)].flatMap(([k, v]) => {
    const m = new RegExp(`^${DRILL_LAST}\\{kind="([^"]+)"\\}$`).exec(k);
    return m && m[1] !== kind ? [{ labels: { kind: m[1]! }, value: v }] : [];
  });
  return {
    name: DRILL_LAST,
    help: 'When the last restore drill of each kind succeeded (Unix time).',
    samples: [...others, { labels: { kind }, value: Math.floor(at.getTime() / 1000) }],
  };
}

export function writeMetrics(
  path: string,
  run: { ok: boolean; at: Date; rowsVerified: number; seconds: number; verified?: boolean },
): void {
  const families = [
    gauge(LAST, 'When the last verified backup finished successfully (Unix time).', lastSuccess(path, LAST, run)),
    gauge(
      'pgharden_backup_last_run_success',
      '1 when the last backup run succeeded, 0 when it failed.',
      run.ok ? 1 : 0,
    ),
    gauge(
      'pgharden_backup_rows_verified',
      'Rows compared between the live data and the restored dumps in the last run.',
      run.rowsVerified,
    ),
    gauge('pgharden_backup_duration_seconds', 'How long the last run took.', run.seconds.toFixed(3)),
  ];
  if (run.ok && run.verified) families.push(drillFamily(path, 'dump', run.at));
  mergeMetrics(path, families);
}

const PITR_LAST = 'pgharden_pitr_drill_last_success_timestamp_seconds';

/** `pitr drill`'s families: outcome, last success, RTO and RPO in seconds (absent when not measured). */
export function writePitrMetrics(
  path: string,
  run: { ok: boolean; at: Date; rtoSeconds: number | null; rpoSeconds: number | null },
): void {
  const seconds = (v: number | null) => (v === null ? [] : [{ value: v.toFixed(3) }]);
  mergeMetrics(path, [
    gauge(
      PITR_LAST,
      'When the last point-in-time restore drill passed (Unix time).',
      lastSuccess(path, PITR_LAST, run),
    ),
    gauge('pgharden_pitr_drill_last_run_success', '1 when the last drill passed, 0 when it failed.', run.ok ? 1 : 0),
    {
      name: 'pgharden_pitr_rto_seconds',
      help: 'Restore and replay until promotion in the last drill.',
      samples: seconds(run.rtoSeconds),
    },
    {
      name: 'pgharden_pitr_rpo_seconds',
      help: 'Age of the last archived WAL when the last drill began.',
      samples: seconds(run.rpoSeconds),
    },
    ...(run.ok ? [drillFamily(path, 'pitr', run.at)] : []),
  ]);
}
