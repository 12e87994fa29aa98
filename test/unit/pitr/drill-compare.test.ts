import { describe, expect, it } from 'vitest';
import { compareDrill } from '../../../src/pitr/drill-compare.js';
import { nextSegment } from '../../../src/pitr/drill-live.js';
import { newestBefore } from '../../../src/pitr/drill-pgbackrest.js';
import { parseInfo } from '../../../src/pitr/pgbackrest.js';
import { recoveryFailure } from '../../../src/pitr/drill-restore.js';

const live = [
  { table: 'public.a', rows: 3 },
  { table: 'public.b', rows: 0 },
];

describe('pitr drill comparison', () => {
  it('passes an exact match and fails any difference with --latest', () => {
    expect(compareDrill([{ database: 'shop', live, restored: live }], true).problems).toEqual([]);
    const c = compareDrill([{ database: 'shop', live, restored: [{ table: 'public.a', rows: 2 }] }], true);
    expect(c.problems).toEqual([
      'shop public.a: 3 rows live at the restore point, 2 recovered',
      'shop public.b: 0 rows live at the restore point, missing recovered',
    ]);
    expect(c.databases[0]!.rows).toEqual([
      { table: 'public.a', live: 3, restored: 2 },
      { table: 'public.b', live: 0, restored: null },
    ]);
  });

  it('shows --to differences side by side without failing', () => {
    const c = compareDrill([{ database: 'shop', live, restored: [{ table: 'public.a', rows: 300 }] }], false);
    expect(c.problems).toEqual([]);
    expect(c.databases[0]!.rows[0]).toEqual({ table: 'public.a', live: 3, restored: 300 });
  });

  it.each([true, false])('fails a hollow recovery (no rows, or no tables) whatever the mode (exact %s)', (exact) => {
    const noRows = compareDrill([{ database: 'shop', live, restored: [{ table: 'public.a', rows: 0 }] }], exact);
    expect(noRows.problems.at(-1)).toMatch(/has 1 tables and 0 rows while the live server has 2 tables and 3 rows/);
    const noTables = compareDrill([{ database: 'shop', live, restored: null }], exact);
    expect(noTables.problems.at(-1)).toMatch(/restore that brings back nothing proves nothing/);
  });

  it('does not call an empty cluster hollow', () => {
    expect(compareDrill([{ database: 'postgres', live: [], restored: [] }], true).problems).toEqual([]);
  });
});

describe('missing WAL segments', () => {
  it.each([
    ['000000010000000000000003', 16 << 20, '000000010000000000000004'],
    ['0000000100000000000000FF', 16 << 20, '000000010000000100000000'],
    ['00000002000000000000003F', 64 << 20, '000000020000000100000000'],
  ])('after %s (segments of %i bytes) comes %s', (wal, size, next) => {
    expect(nextSegment(wal, size)).toBe(next);
  });

  const r = {
    set: { walStart: '000000010000000000000002' } as never,
    target: 'pgharden-drill-x',
    facts: { walSegmentSize: 16 << 20 } as never,
  };
  it('names the segment after the last one restored', () => {
    const log = [
      'LOG:  restored log file "000000010000000000000002" from archive',
      'LOG:  restored log file "000000010000000000000003" from archive',
      'FATAL:  recovery ended before configured recovery target was reached',
    ].join('\n');
    expect(recoveryFailure(log, r)).toBe(
      'recovery stopped before reaching pgharden-drill-x: WAL segment 000000010000000000000004 is missing from the repository (recovery ended before configured recovery target was reached)',
    );
  });
  it('blames no WAL segment for a start that failed for another reason', () => {
    expect(recoveryFailure('FATAL:  could not access file "pg_stat_statements": No such file or directory', r)).toBe(
      'the recovered copy did not start: could not access file "pg_stat_statements": No such file or directory',
    );
  });
  it("names the backup's first segment when none could be restored", () => {
    expect(recoveryFailure('FATAL:  could not locate required checkpoint record', r)).toMatch(
      /WAL segment 000000010000000000000002 is missing/,
    );
  });
});

describe('backup sets', () => {
  const info = JSON.stringify([
    {
      name: 's',
      status: { code: 0, message: 'ok' },
      backup: [
        {
          label: 'F1',
          type: 'full',
          timestamp: { start: 100, stop: 110 },
          archive: { start: 'A', stop: 'B' },
          prior: null,
        },
        {
          label: 'F2',
          type: 'full',
          error: true,
          timestamp: { start: 200, stop: 210 },
          archive: { start: 'C', stop: 'D' },
          prior: null,
        },
        {
          label: 'I3',
          type: 'incr',
          timestamp: { start: 300, stop: 310 },
          archive: { start: 'E', stop: 'F' },
          prior: 'F1',
        },
      ],
    },
  ]);
  it('picks the newest complete set that finished before the target', () => {
    const sets = parseInfo(info)[0]!.backups.filter((b) => !b.error);
    expect(sets.map((s) => s.label)).toEqual(['F1', 'I3']);
    expect(newestBefore(sets, new Date(309_000))?.label).toBe('F1');
    expect(newestBefore(sets, new Date(311_000))?.label).toBe('I3');
    expect(newestBefore(sets, new Date(110_000))).toBeUndefined();
  });
});
