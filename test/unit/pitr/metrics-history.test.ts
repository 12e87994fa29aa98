import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileLedger } from '../../../src/backup/drill-ledger.js';
import { writeMetrics, writePitrMetrics } from '../../../src/backup/backup-metrics.js';

const dir = mkdtempSync(join(tmpdir(), 'pgharden-pitr-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const S = { cluster: 'pg15-5432', stanza: 'main' };
const L = '{cluster="pg15-5432",stanza="main"}';

describe('the shared metrics file', () => {
  it('keeps the backup family when the drill writes, and the drill family when the backup writes', () => {
    const file = join(dir, 'm.prom');
    writeMetrics(file, { ok: true, at: new Date(1_000_000), rowsVerified: 5, seconds: 1 });
    writePitrMetrics(file, S, { ok: true, at: new Date(2_000_000), rtoSeconds: 1.5, rpoSeconds: 3 });
    writeMetrics(file, { ok: false, at: new Date(3_000_000), rowsVerified: 0, seconds: 1 });
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^pgharden_backup_last_success_timestamp_seconds 1000$/m);
    expect(text).toMatch(/^pgharden_backup_last_run_success 0$/m);
    expect(text).toMatch(
      new RegExp(`^pgharden_pitr_drill_last_success_timestamp_seconds${L.replace(/[{}]/g, '\\$&')} 2000$`, 'm'),
    );
    expect(text).toMatch(new RegExp(`^pgharden_pitr_rto_seconds${L.replace(/[{}]/g, '\\$&')} 1\\.500$`, 'm'));
    expect(text).toMatch(new RegExp(`^pgharden_pitr_rpo_seconds${L.replace(/[{}]/g, '\\$&')} 3\\.000$`, 'm'));
    expect(text.match(/^# TYPE pgharden_pitr_rto_seconds gauge$/gm)).toHaveLength(1);
  });

  it('keeps the last passed drill time when a drill fails, and leaves out an RTO it did not measure', () => {
    const file = join(dir, 'f.prom');
    writePitrMetrics(file, S, { ok: true, at: new Date(5_000_000), rtoSeconds: 2, rpoSeconds: 1 });
    writePitrMetrics(file, S, { ok: false, at: new Date(6_000_000), rtoSeconds: null, rpoSeconds: 4 });
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(
      new RegExp(`^pgharden_pitr_drill_last_success_timestamp_seconds${L.replace(/[{}]/g, '\\$&')} 5000$`, 'm'),
    );
    expect(text).toMatch(new RegExp(`^pgharden_pitr_drill_last_run_success${L.replace(/[{}]/g, '\\$&')} 0$`, 'm'));
    expect(text).not.toContain('pgharden_pitr_rto_seconds');
  });
});

describe('the pitr drill ledger', () => {
  it('is kept as the drill history once it holds a result, with its scratch directories settled', () => {
    const file = join(dir, 'pgharden-drills-main');
    const l = fileLedger(file, 'pitr');
    l.creating('/tmp/pgharden-pitr-drill-abc');
    l.dropped('/tmp/pgharden-pitr-drill-abc');
    l.note({ kind: 'pitr-result', at: 'now', ok: true, rtoSeconds: 1, rpoSeconds: 2, target: 'p' });
    l.close();
    const again = fileLedger(file, 'pitr');
    expect(again.pending()).toEqual([]);
    expect(again.records().map((r) => r.kind)).toEqual(['pitr', 'pitr', 'pitr-result']);
  });

  it('still removes a backup ledger with nothing pending (no history in it)', () => {
    const file = join(dir, 'drills');
    const l = fileLedger(file);
    l.creating('pgharden_drill_1');
    l.dropped('pgharden_drill_1');
    l.close();
    expect(() => readFileSync(file)).toThrow();
  });
});
