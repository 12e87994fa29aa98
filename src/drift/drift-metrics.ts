/**
 * Drift in Prometheus' textfile format, labelled by cluster: the number of differences per kind
 * (every kind, 0 included, so an alert on `> 0` needs no absent()), whether the cluster is in sync,
 * and when drift last ran. One file can serve several clusters: the other clusters' samples of
 * these families are kept, and every other family (backups, drills) too. Written atomically.
 */
import { mergeMetrics, readMetrics, type MetricFamily } from '../backup/backup-metrics.js';
import { DRIFT_KINDS, type Difference } from './drift-types.js';

export const DRIFT_DIFFERENCES = 'pgharden_drift_differences';
export const DRIFT_IN_SYNC = 'pgharden_drift_in_sync';
export const DRIFT_LAST_RUN = 'pgharden_drift_last_run_timestamp_seconds';

/** `name{k="v",...}` → labels, for the samples of `name` in a metrics file. */
function samplesOf(all: Map<string, number>, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const [key, value] of all) {
    const m = /^([^{]+)\{(.*)\}$/.exec(key);
    if (m?.[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const l of m[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    out.push({ labels, value });
  }
  return out;
}

/** The drift families for `cluster` at `at`, other clusters' samples as `path` holds them. */
export function driftFamilies(
  path: string,
  cluster: string,
  differences: readonly Difference[],
  at: Date,
): MetricFamily[] {
  const old = readMetrics(path);
  const others = (name: string) => samplesOf(old, name).filter((s) => s.labels.cluster !== cluster);
  return [
    {
      name: DRIFT_DIFFERENCES,
      help: 'Differences between the live cluster and its desired state, by kind (pgharden drift).',
      samples: [
        ...others(DRIFT_DIFFERENCES),
        ...DRIFT_KINDS.map((kind) => ({
          labels: { cluster, kind },
          value: differences.filter((d) => d.kind === kind).length,
        })),
      ],
    },
    {
      name: DRIFT_IN_SYNC,
      help: '1 when the last pgharden drift found the cluster in sync, 0 when it drifted.',
      samples: [...others(DRIFT_IN_SYNC), { labels: { cluster }, value: differences.length === 0 ? 1 : 0 }],
    },
    {
      name: DRIFT_LAST_RUN,
      help: 'When pgharden drift last compared the cluster (Unix time).',
      samples: [...others(DRIFT_LAST_RUN), { labels: { cluster }, value: Math.floor(at.getTime() / 1000) }],
    },
  ];
}

/** Writes the drift families into the textfile (atomically), keeping every other line. */
export function writeDriftMetrics(path: string, cluster: string, differences: readonly Difference[], at: Date): void {
  mergeMetrics(path, driftFamilies(path, cluster, differences, at));
}
