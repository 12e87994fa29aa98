import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareCounts } from '../../../src/backup/dump-drill.js';
import { fileLedger, newDrillName, pendingOf } from '../../../src/backup/drill-ledger.js';

const dump = {
  database: 'shop',
  file: 'f',
  sha256: 'x',
  bytes: 1,
  objects: 7,
  counts: [
    { table: 'public.a', rows: 3 },
    { table: 'public.b', rows: 0 },
  ],
};

describe('restore drill comparison', () => {
  it('passes only when every table and the object count match', () => {
    expect(compareCounts(dump, { counts: dump.counts, objects: 7 })).toMatchObject({ ok: true, problems: [] });
    expect(
      compareCounts(dump, {
        counts: [
          { table: 'public.a', rows: 2 },
          { table: 'public.c', rows: 1 },
        ],
        objects: 6,
      }).problems,
    ).toEqual([
      'shop public.a: 3 rows live, 2 restored',
      'shop public.b: 0 rows live, missing restored',
      'shop public.c: missing rows live, 1 restored',
      'shop: 7 schema objects live, 6 restored',
    ]);
  });

  it('names each scratch database anew, within 63 bytes', () => {
    const a = newDrillName();
    expect(a).toMatch(/^pgharden_drill_[0-9a-f]{16}$/);
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(63);
    expect(newDrillName()).not.toBe(a);
  });

  it('keeps in its ledger what was created and not dropped, across a crash', () => {
    expect(
      pendingOf([
        { name: 'a', state: 'creating' },
        { name: 'b', state: 'creating' },
        { name: 'a', state: 'dropped' },
      ]),
    ).toEqual(['b']);
    const dir = mkdtempSync(join(tmpdir(), 'pgharden-ledger-'));
    try {
      const file = join(dir, 'drills');
      const first = fileLedger(file);
      first.creating('pgharden_drill_1');
      first.creating('pgharden_drill_2');
      first.dropped('pgharden_drill_1');
      // Killed here: the next run reads what is left.
      const next = fileLedger(file);
      expect(next.pending()).toEqual(['pgharden_drill_2']);
      next.dropped('pgharden_drill_2');
      next.close();
      expect(existsSync(file)).toBe(false);
      // A line cut short by a crash: what follows it is still read.
      writeFileSync(file, '{"name":"pgharden_drill_3","state":"creating"}\n{"name":"pgharden_dr');
      fileLedger(file).creating('pgharden_drill_4');
      expect(fileLedger(file).pending()).toEqual(['pgharden_drill_3', 'pgharden_drill_4']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
