import { describe, expect, it } from 'vitest';
import { newestBackup, parseInfo } from '../../../src/pitr/pgbackrest.js';

// Printed by pgBackRest 2.45 for a PostgreSQL 15 stanza after one full backup.
const INFO =
  '[{"archive":[{"database":{"id":1,"repo-key":1},"id":"15-1","max":"000000010000000000000003","min":"000000010000000000000001"}],"backup":[{"archive":{"start":"000000010000000000000002","stop":"000000010000000000000003"},"backrest":{"format":5,"version":"2.45"},"database":{"id":1,"repo-key":1},"error":false,"info":{"delta":22992373,"repository":{"delta":3043375,"size":3043375},"size":22992373},"label":"20261130-104727F","lsn":{"start":"0/2000028","stop":"0/3000050"},"prior":null,"reference":null,"timestamp":{"start":1796035647,"stop":1796035654},"type":"full"}],"cipher":"none","db":[{"id":1,"repo-key":1,"system-id":7713914349362228494,"version":"15"}],"name":"x","repo":[{"cipher":"none","key":1,"status":{"code":0,"message":"ok"}}],"status":{"code":0,"lock":{"backup":{"held":false}},"message":"ok"}}]';

describe('pgbackrest info --output=json', () => {
  it('reads the backups, their LSNs and times, and the archive range', () => {
    const [s] = parseInfo(INFO);
    expect(s!.name).toBe('x');
    expect(s!.status).toEqual({ code: 0, message: 'ok' });
    expect(s!.archive).toEqual({ min: '000000010000000000000001', max: '000000010000000000000003' });
    expect(newestBackup(s!)).toEqual({
      label: '20261130-104727F',
      type: 'full',
      start: new Date(1796035647000),
      stop: new Date(1796035654000),
      lsnStart: '0/2000028',
      lsnStop: '0/3000050',
      walStart: '000000010000000000000002',
      walStop: '000000010000000000000003',
      prior: null,
      error: false,
    });
  });
  it('reads a stanza with no backup and no archive', () => {
    const [s] = parseInfo(
      '[{"archive":[],"backup":[],"cipher":"none","db":[],"name":"y","repo":[],"status":{"code":2,"message":"no valid backups"}}]',
    );
    expect(s!.backups).toEqual([]);
    expect(s!.archive).toBeNull();
    expect(newestBackup(s!)).toBeNull();
  });
});
