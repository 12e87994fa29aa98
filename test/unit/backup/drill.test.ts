import { describe, expect, it } from 'vitest';
import { compareCounts, drillName } from '../../../src/backup/drill.js';

const dump = { database: 'shop', file: 'f', sha256: 'x', bytes: 1, objects: 7, counts: [{ table: 'public.a', rows: 3 }, { table: 'public.b', rows: 0 }] };

describe('restore drill comparison', () => {
  it('passes only when every table and the object count match', () => {
    expect(compareCounts(dump, { counts: dump.counts, objects: 7 })).toMatchObject({ ok: true, problems: [] });
    expect(compareCounts(dump, { counts: [{ table: 'public.a', rows: 2 }, { table: 'public.c', rows: 1 }], objects: 6 }).problems).toEqual([
      'shop public.a: 3 rows live, 2 restored',
      'shop public.b: 0 rows live, missing restored',
      'shop public.c: missing rows live, 1 restored',
      'shop: 7 schema objects live, 6 restored',
    ]);
  });

  it('names the scratch database within 63 bytes', () => {
    expect(drillName('shop')).toBe('shop__pgharden_drill');
    expect(Buffer.byteLength(drillName('x'.repeat(63)))).toBe(63);
    expect(drillName('ü'.repeat(40)).endsWith('__pgharden_drill')).toBe(true);
    expect(Buffer.byteLength(drillName('ü'.repeat(40)))).toBeLessThanOrEqual(63);
  });
});
