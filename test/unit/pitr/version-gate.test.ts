import { describe, expect, it } from 'vitest';
import { parseRelease, versionGap } from '../../../src/pitr/version-gate.js';

describe('versionGap: the installed pgBackRest against the server major', () => {
  it('reads release numbers with and without a patch part', () => {
    expect(parseRelease('2.45')).toEqual([2, 45, 0]);
    expect(parseRelease('2.53.1')).toEqual([2, 53, 1]);
    expect(parseRelease('pgBackRest 2.55.0')).toEqual([2, 55, 0]);
    expect(parseRelease('unknown')).toBeNull();
  });

  it('lets 2.45 read 15 and older', () => {
    expect(versionGap('2.45', 15)).toBeNull();
    expect(versionGap('2.45', 13)).toBeNull();
  });

  it('refuses 2.45 for 16, 17 and 18, naming the first release that reads each', () => {
    expect(versionGap('2.45', 16)?.need).toBe('2.46');
    expect(versionGap('2.45', 17)?.need).toBe('2.53.1');
    expect(versionGap('2.45', 18)?.need).toBe('2.55.0');
    expect(versionGap('2.45', 17)?.reason).toContain('pgBackRest 2.45 cannot read PostgreSQL 17');
  });

  it('refuses 2.52 for 17 (a beta catalog) and accepts 2.53.1 and 2.54.0', () => {
    expect(versionGap('2.52', 17)?.need).toBe('2.53.1');
    expect(versionGap('2.53.1', 17)).toBeNull();
    expect(versionGap('2.54.0', 17)).toBeNull();
    expect(versionGap('2.46', 16)).toBeNull();
    expect(versionGap('2.58.0', 18)).toBeNull();
  });

  it('refuses a major newer than the table and an unreadable version, with no release to name', () => {
    expect(versionGap('2.58.0', 19)).toEqual({ reason: expect.stringContaining('PostgreSQL 19'), need: null });
    expect(versionGap('garbage', 15)?.need).toBeNull();
  });
});
