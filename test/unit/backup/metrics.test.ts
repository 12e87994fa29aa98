import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gauge, mergeMetrics, readMetrics, writeMetrics } from '../../../src/backup/metrics.js';

const dirs: string[] = [];
const file = () => {
  const d = mkdtempSync(join(tmpdir(), 'pgharden-metrics-'));
  dirs.push(d);
  return join(d, 'pgharden.prom');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the shared metrics file', () => {
  it('keeps the other jobs’ families when one job writes its own', () => {
    const f = file();
    writeMetrics(f, { ok: true, at: new Date(1_700_000_000_000), rowsVerified: 42, seconds: 1.5, verified: true });
    mergeMetrics(f, [
      gauge('pgharden_pitr_backup_last_success_timestamp_seconds', 'When.', 1_700_000_100),
      {
        name: 'pgharden_pitr_backup_info',
        help: 'The last one.',
        samples: [{ labels: { label: '20231114-221500F', type: 'full' }, value: 1 }],
      },
    ]);
    writeMetrics(f, { ok: false, at: new Date(1_700_000_200_000), rowsVerified: 0, seconds: 2, verified: true });
    const m = readMetrics(f);
    expect(m.get('pgharden_backup_last_success_timestamp_seconds')).toBe(1_700_000_000);
    expect(m.get('pgharden_backup_last_run_success')).toBe(0);
    expect(m.get('pgharden_pitr_backup_last_success_timestamp_seconds')).toBe(1_700_000_100);
    expect(m.get('pgharden_pitr_backup_info{label="20231114-221500F",type="full"}')).toBe(1);
    // The failed run did not drill: the drill time of the verified run before it stays.
    expect(m.get('pgharden_drill_last_success_timestamp_seconds{kind="dump"}')).toBe(1_700_000_000);
    expect(readFileSync(f, 'utf8').match(/^# TYPE pgharden_backup_last_run_success gauge$/gm)).toHaveLength(1);
  });
  it('keeps a pitr drill’s sample when the nightly job records its own drill', () => {
    const f = file();
    mergeMetrics(f, [
      {
        name: 'pgharden_drill_last_success_timestamp_seconds',
        help: 'Drills.',
        samples: [{ labels: { kind: 'pitr' }, value: 1_700_000_000 }],
      },
    ]);
    writeMetrics(f, { ok: true, at: new Date(1_700_000_500_000), rowsVerified: 1, seconds: 1, verified: true });
    const m = readMetrics(f);
    expect(m.get('pgharden_drill_last_success_timestamp_seconds{kind="pitr"}')).toBe(1_700_000_000);
    expect(m.get('pgharden_drill_last_success_timestamp_seconds{kind="dump"}')).toBe(1_700_000_500);
  });
});
