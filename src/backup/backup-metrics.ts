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

/** A sample's key as `mergeMetrics` writes it and `readMetrics` returns it. */
export function sampleKey(name: string, labels: Record<string, string>): string {
  const l = Object.entries(labels);
  return `${name}${l.length ? `{${l.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : ''}`;
}

/** The labels of a sample key (`name{a="b",…}`); {} for none. */
export function labelsOf(key: string): Record<string, string> {
  const body = /\{(.*)\}$/.exec(key)?.[1] ?? '';
  const out: Record<string, string> = {};
  for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
    out[m[1]!] = m[2]!.replaceAll('\\n', '\n').replaceAll('\\"', '"').replaceAll('\\\\', '\\');
  return out;
}

/** Which cluster (and pgBackRest stanza) a sample belongs to: `cluster` is `15/main` or `pg15-5432`. */
export interface MetricScope {
  cluster: string;
  stanza: string;
}

const inScope = (labels: Record<string, string>, scope: Partial<Record<string, string>>) =>
  Object.entries(scope).every(([k, v]) => labels[k] === v);

/**
 * Replaces, in these families, only the samples of `scope` (its labels, plus `match`'s when given),
 * each new sample labelled with the scope first; other clusters' samples stay as the file has them.
 * A family given without samples loses this scope's samples only.
 */
export function mergeScoped(
  path: string,
  scope: MetricScope,
  families: readonly MetricFamily[],
  match: Record<string, string> = {},
): void {
  const keys = [...readMetrics(path)];
  mergeMetrics(
    path,
    families.map((f) => ({
      ...f,
      samples: [
        ...keys.flatMap(([k, v]) => {
          if (!k.startsWith(`${f.name}{`) && k !== f.name) return [];
          const labels = labelsOf(k);
          // A sample without a cluster predates the labels: no cluster can claim it, so it goes.
          if (!('cluster' in labels) || inScope(labels, { ...scope, ...match })) return [];
          return [{ labels, value: v }];
        }),
        ...f.samples.map((x) => ({ labels: { ...scope, ...x.labels }, value: x.value })),
      ],
    })),
  );
}

/** Removes every sample of `scope` from the families whose names start with one of `prefixes` (rollback). */
export function dropScope(path: string, scope: Partial<MetricScope>, prefixes: readonly string[]): number {
  const all = [...readMetrics(path)];
  const names = new Set(all.map(([k]) => k.replace(/\{.*$/, '')).filter((n) => prefixes.some((p) => n.startsWith(p))));
  let dropped = 0;
  const families = [...names].map((name) => {
    const samples = all.flatMap(([k, v]) => {
      if (k.replace(/\{.*$/, '') !== name) return [];
      const labels = labelsOf(k);
      if (inScope(labels, scope)) {
        dropped++;
        return [];
      }
      return [{ labels, value: v }];
    });
    return { name, help: helpOf(path, name), samples };
  });
  if (dropped) mergeMetrics(path, families);
  return dropped;
}

/** The HELP text a family has in the file. */
function helpOf(path: string, name: string): string {
  const line = readText(path)
    .split('\n')
    .find((l) => l.startsWith(`# HELP ${name} `));
  return line ? line.slice(`# HELP ${name} `.length) : name;
}

/** The last success time of a scoped sample: now when this run succeeded, else the file's (0 if none). */
export function lastScopedSuccess(path: string, name: string, scope: MetricScope, run: { ok: boolean; at: Date }) {
  return run.ok ? Math.floor(run.at.getTime() / 1000) : (readMetrics(path).get(sampleKey(name, { ...scope })) ?? 0);
}

/** The drills' family: one success time per kind of drill (`dump`: the nightly --verify; `pitr`: pitr drill) and cluster. */
export const DRILL_LAST = 'pgharden_drill_last_success_timestamp_seconds';

/** The drill family with `kind` passed at `at` for `scope`; other kinds' and clusters' samples are kept. */
function writeDrill(path: string, scope: MetricScope, kind: 'dump' | 'pitr', at: Date): void {
  mergeScoped(
    path,
    scope,
    [
      {
        name: DRILL_LAST,
        help: 'When the last restore drill of each kind and cluster succeeded (Unix time).',
        samples: [{ labels: { kind }, value: Math.floor(at.getTime() / 1000) }],
      },
    ],
    { kind },
  );
}

export function writeMetrics(
  path: string,
  run: { ok: boolean; at: Date; rowsVerified: number; seconds: number; verified?: boolean; scope?: MetricScope },
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
  mergeMetrics(path, families);
  if (run.ok && run.verified) writeDrill(path, run.scope ?? { cluster: '', stanza: '' }, 'dump', run.at);
}

const PITR_LAST = 'pgharden_pitr_drill_last_success_timestamp_seconds';

/** `pitr drill`'s families for one cluster: outcome, last success, RTO, RPO and its target in seconds (absent when not measured). */
export function writePitrMetrics(
  path: string,
  scope: MetricScope,
  run: {
    ok: boolean;
    at: Date;
    rtoSeconds: number | null;
    rpoSeconds: number | null;
    rpoTargetSeconds?: number | null;
  },
): void {
  const seconds = (v: number | null | undefined) => (v === null || v === undefined ? [] : [{ value: v.toFixed(3) }]);
  mergeScoped(path, scope, [
    gauge(
      PITR_LAST,
      'When the last point-in-time restore drill passed (Unix time).',
      lastScopedSuccess(path, PITR_LAST, scope, run),
    ),
    gauge('pgharden_pitr_drill_last_run_success', '1 when the last drill passed, 0 when it failed.', run.ok ? 1 : 0),
    {
      name: 'pgharden_pitr_rto_seconds',
      help: 'Restore and replay until promotion in the last drill.',
      samples: seconds(run.rtoSeconds),
    },
    {
      name: 'pgharden_pitr_rpo_seconds',
      help: 'The RPO bound when the last drill began: time since the oldest write not yet archived (0 when all is archived).',
      samples: seconds(run.rpoSeconds),
    },
    {
      name: 'pgharden_pitr_rpo_target_seconds',
      help: 'The RPO target (archive_timeout) the last drill measured against.',
      samples: seconds(run.rpoTargetSeconds),
    },
  ]);
  if (run.ok) writeDrill(path, scope, 'pitr', run.at);
}
