import { describe, expect, it } from 'vitest';
import { isoWeek, retain, runName, runTime } from '../../../src/backup/retention.js';

const at = (iso: string) => runName(new Date(iso));

describe('backup retention', () => {
  it('names runs by their UTC start and reads the name back', () => {
    expect(at('2026-11-22T03:15:07.123Z')).toBe('20261122T031507Z');
    expect(runTime('20261122T031507Z')?.toISOString()).toBe('2026-11-22T03:15:07.000Z');
    expect(runTime('20261122T031507')).toBeNull();
    expect(runTime('keep-me')).toBeNull();
  });

  it.each([
    ['2026-11-22', '2026-W47'],
    ['2026-11-23', '2026-W48'],
    ['2027-01-01', '2026-W53'],
    ['2024-12-30', '2025-W01'],
  ])('puts %s in ISO week %s', (d, w) => {
    expect(isoWeek(new Date(`${d}T12:00:00Z`))).toBe(w);
  });

  it('keeps the runs younger than keep-days and the newest of each of the last keep-weekly weeks, nothing else', () => {
    const now = new Date('2026-11-22T04:00:00Z'); // a Sunday, ISO week 47
    const runs = [
      '2026-11-22T03:00:00Z',
      '2026-11-20T03:00:00Z',
      '2026-11-16T03:00:00Z',
      '2026-11-14T03:00:00Z',
      '2026-11-10T03:00:00Z',
      '2026-11-08T03:00:00Z',
      '2026-11-02T03:00:00Z',
      '2026-10-20T03:00:00Z',
    ].map(at);
    const r = retain([...runs, 'not-a-run'], now, { keepDays: 3, keepWeekly: 3 });
    expect(r.keep).toEqual([
      '20261122T030000Z', // 1 hour old; also newest of W47
      '20261120T030000Z', // 2 days old
      '20261114T030000Z', // newest of W46
      '20261108T030000Z', // newest of W45
    ]);
    expect(r.remove).toEqual(['20261116T030000Z', '20261110T030000Z', '20261102T030000Z', '20261020T030000Z']);
  });

  it('with only keep-days or only keep-weekly, applies just that rule', () => {
    const now = new Date('2026-11-22T04:00:00Z');
    const runs = ['2026-11-21T03:00:00Z', '2026-11-10T03:00:00Z'].map(at);
    expect(retain(runs, now, { keepDays: 2 }).keep).toEqual(['20261121T030000Z']);
    expect(retain(runs, now, { keepWeekly: 1 }).keep).toEqual(['20261121T030000Z']);
    expect(retain(runs, now, { keepWeekly: 2 }).keep).toEqual(['20261121T030000Z', '20261110T030000Z']); // W47 and W46 (9-15 Nov)
  });
});
