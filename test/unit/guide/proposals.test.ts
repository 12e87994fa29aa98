import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanDirs } from '../../../src/consumers/discover.js';
import { around, roleName, suggestRanges, suggestRoles } from '../../../src/guide/proposals.js';
import { storySnapshot } from '../plan/fixtures.js';

const withConsumers = () => ({
  ...storySnapshot(),
  clients: [
    {
      user: 'postgres',
      application: 'agents',
      clientAddress: '127.10.0.7',
      database: 'workspace',
      ssl: false,
      sessions: 3,
    },
    {
      user: 'postgres',
      application: 'Weekly Reports',
      clientAddress: '127.10.3.9',
      database: 'workspace',
      ssl: false,
      sessions: 1,
    },
    {
      user: 'postgres',
      application: 'pgharden-scratch',
      clientAddress: '127.0.0.1',
      database: 'postgres',
      ssl: false,
      sessions: 1,
    },
    { user: 'postgres', application: 'psql', clientAddress: null, database: 'postgres', ssl: false, sessions: 1 },
  ],
});

describe('guide suggestions', () => {
  it("suggests the /24 of each client and the rules' ranges, never loopback", () => {
    expect(suggestRanges(withConsumers())).toEqual([
      { range: '127.10.0.0/24', why: 'clients connected from 127.10.0.7 (postgres, agents)' },
      { range: '127.10.3.0/24', why: 'clients connected from 127.10.3.9 (postgres, Weekly Reports)' },
      { range: '127.10.0.0/16', why: 'pg_hba.conf:9 allows it' },
    ]);
    expect(around('fd00:1:2:3:4::5')).toBe('fd00:1:2:3::/64');
  });

  it('proposes one role per networked consumer, readonly for reports, none for pgharden or the socket', () => {
    expect(suggestRoles(withConsumers()).map((r) => [r.name, r.template, r.database])).toEqual([
      ['agents_app', 'app-readwrite', 'workspace'],
      ['weekly_reports_app', 'readonly', 'workspace'],
    ]);
    expect(roleName('', 'pg_monitor')).toBe('app_monitor_app');
    expect(roleName('9lives', 'x')).toBe('app_9lives_app');
  });

  it('scans directories for URIs and PG variables, with passwords redacted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgharden-scan-'));
    try {
      mkdirSync(join(dir, 'app', 'node_modules'), { recursive: true });
      writeFileSync(
        join(dir, 'app', '.env'),
        'DATABASE_URL=postgres://app:s3cret@db:5432/shop\nPGPASSWORD=hunter2\nPGUSER=app\nDSN="host=db dbname=shop user=rep password=\'t0p secret\'"\n',
      );
      writeFileSync(join(dir, 'app', 'node_modules', 'x.env'), 'URL=postgres://ignored@db/x\n');
      writeFileSync(join(dir, 'bin'), Buffer.from([0, 1, 2]));
      const found = scanDirs([dir]);
      expect(found.map((f) => [f.line, f.key, f.user, f.database, f.shown])).toEqual([
        [1, 'DATABASE_URL', 'app', 'shop', 'postgres://app:<redacted>@db:5432/shop'],
        [2, 'PGPASSWORD', null, null, 'PGPASSWORD=<redacted>'],
        [3, 'PGUSER', 'app', null, 'PGUSER=app'],
        [4, 'DSN', 'rep', 'shop', 'host=db dbname=shop user=rep password=<redacted>'],
      ]);
      expect(JSON.stringify(found)).not.toMatch(/s3cret|hunter2|t0p/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
