import { describe, expect, it } from 'vitest';
import { rpoBound } from '../../../src/pitr/drill-live.js';
import { parseInfo, unreadable } from '../../../src/pitr/pgbackrest.js';
import { rpoNote } from '../../../src/pitr/drill-run.js';

const SEG = 16 * 1024 * 1024;

describe('rpoBound: time since the oldest write not yet archived', () => {
  const base = {
    lastArchivedWal: '000000010000000000000003',
    lastArchivedTime: new Date('2026-11-30T10:00:00Z'),
    segBytes: SEG,
    now: new Date('2026-11-30T12:00:00Z'),
  };
  it('is 0 when nothing was written past the last archived segment', () => {
    expect(rpoBound({ ...base, currentLsn: '0/4000000' })).toBe(0);
    expect(rpoBound({ ...base, currentLsn: '0/3FFFFFF' })).toBe(0);
  });
  it('is the time since the last archived segment when WAL waits in the open one', () => {
    expect(rpoBound({ ...base, currentLsn: '0/4000060' })).toBe(7200);
  });
  it('is null when nothing was ever archived; a .partial or .backup name counts by its segment', () => {
    expect(rpoBound({ ...base, lastArchivedWal: null, lastArchivedTime: null, currentLsn: '0/4000060' })).toBeNull();
    expect(rpoBound({ ...base, lastArchivedWal: '000000010000000000000003.partial', currentLsn: '0/4000000' })).toBe(0);
  });
});

describe('rpoNote', () => {
  it('names the target, or its absence', () => {
    expect(rpoNote(12, 300)).toBe('RPO bound 12.0 s, within the target 300 s (archive_timeout)');
    expect(rpoNote(400, 300)).toContain('exceeds the target 300 s');
    expect(rpoNote(0, null)).toContain('archive_timeout is 0');
  });
});

describe('unreadable: a pgbackrest info that says nothing about backups', () => {
  const info = (status: object, repo: object[]) =>
    parseInfo(JSON.stringify([{ name: 'x', status, repo, backup: [], archive: [], db: [] }]))[0]!;
  it('is the repository cause when pgBackRest could not read it (status 99)', () => {
    const i = info({ code: 99, message: 'other' }, [
      {
        key: 1,
        cipher: 'none',
        status: {
          code: 99,
          message: "[PathOpenError] unable to list file info for path '/r/backup': [13] Permission denied",
        },
      },
    ]);
    expect(unreadable(i)).toBe(
      "pgbackrest info reports status 99 (other): repo1: [PathOpenError] unable to list file info for path '/r/backup': [13] Permission denied",
    );
  });
  it('is null for ok and for "no valid backups" (a real absence)', () => {
    expect(unreadable(info({ code: 0, message: 'ok' }, [{ key: 1, status: { code: 0, message: 'ok' } }]))).toBeNull();
    expect(unreadable(info({ code: 2, message: 'no valid backups' }, []))).toBeNull();
  });
  it('is the message for a missing stanza path (status 1)', () => {
    expect(unreadable(info({ code: 1, message: 'missing stanza path' }, []))).toBe(
      'pgbackrest info reports status 1 (missing stanza path)',
    );
  });
});
