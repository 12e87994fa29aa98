import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  dropScope,
  gauge,
  mergeMetrics,
  readMetrics,
  writeMetrics,
  writePitrMetrics,
} from '../../../src/backup/backup-metrics.js';

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
    expect(m.get('pgharden_drill_last_success_timestamp_seconds{cluster="",stanza="",kind="dump"}')).toBe(
      1_700_000_000,
    );
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
    writeMetrics(f, {
      ok: true,
      at: new Date(1_700_000_500_000),
      rowsVerified: 1,
      seconds: 1,
      verified: true,
      scope: { cluster: 'pg15-5432', stanza: '' },
    });
    const m = readMetrics(f);
    expect(m.get('pgharden_drill_last_success_timestamp_seconds{cluster="pg15-5432",stanza="",kind="dump"}')).toBe(
      1_700_000_500,
    );
  });
  it("labels every pitr sample with its cluster and stanza, and keeps the other cluster's samples", () => {
    const f = file();
    const a = { cluster: '15/main', stanza: '15-main' };
    const b = { cluster: '15/other', stanza: '15-other' };
    writePitrMetrics(f, a, {
      ok: true,
      at: new Date(1_700_000_000_000),
      rtoSeconds: 5,
      rpoSeconds: 1,
      rpoTargetSeconds: 300,
    });
    writePitrMetrics(f, b, { ok: false, at: new Date(1_700_000_100_000), rtoSeconds: null, rpoSeconds: 2 });
    const m = readMetrics(f);
    const key = (name: string, s: typeof a, extra = '') =>
      `${name}{cluster="${s.cluster}",stanza="${s.stanza}"${extra}}`;
    expect(m.get(key('pgharden_pitr_drill_last_success_timestamp_seconds', a))).toBe(1_700_000_000);
    expect(m.get(key('pgharden_pitr_drill_last_success_timestamp_seconds', b))).toBe(0);
    expect(m.get(key('pgharden_pitr_rto_seconds', a))).toBe(5);
    expect(m.has(key('pgharden_pitr_rto_seconds', b))).toBe(false);
    expect(m.get(key('pgharden_pitr_rpo_target_seconds', a))).toBe(300);
    expect(m.get(key('pgharden_drill_last_success_timestamp_seconds', a, ',kind="pitr"'))).toBe(1_700_000_000);
    // The failed drill of b wrote no drill success for b, and did not take a's.
    expect(m.has(key('pgharden_drill_last_success_timestamp_seconds', b, ',kind="pitr"'))).toBe(false);
    expect([...m.keys()].every((k) => k.includes('cluster="'))).toBe(true);
    expect(readFileSync(f, 'utf8').match(/^# TYPE pgharden_pitr_rto_seconds gauge$/gm)).toHaveLength(1);

    // Rollback of a's set-up removes a's samples only.
    expect(dropScope(f, a, ['pgharden_pitr_', 'pgharden_drill_'])).toBeGreaterThan(0);
    const after = readMetrics(f);
    expect([...after.keys()].some((k) => k.includes('cluster="15/main"'))).toBe(false);
    expect(after.get(key('pgharden_pitr_rpo_seconds', b))).toBe(2);
  });
});
