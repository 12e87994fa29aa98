import { describe, expect, it } from 'vitest';
import { runAudit } from '../../../src/audit/run-audit.js';
import { connectionMatrix } from '../../../src/audit/matrix.js';
import type { Snapshot } from '../../../src/cluster/introspect.js';
import { role, snapshot } from '../../support/snapshot.js';

const ids = (s: Snapshot) => runAudit(s).map((f) => f.id);

describe('superuser reachable over the network', () => {
  it.each([
    ['by name', 'hostssl all boss 10.1.0.0/24 scram-sha-256', [role('boss', { superuser: true })]],
    ['through all', 'hostssl all all 10.1.0.0/24 scram-sha-256', [role('boss', { superuser: true })]],
    [
      'through +group, inherited',
      'hostssl all +ops 10.1.0.0/24 scram-sha-256',
      [role('boss', { superuser: true, memberOf: ['team'], allGroups: ['team', 'ops'] })],
    ],
    ['through a regex', 'hostssl all /^bo 10.1.0.0/24 scram-sha-256', [role('boss', { superuser: true })]],
  ])('%s', (_, hba, roles) => {
    expect(ids(snapshot(`local all all peer\n${hba}\n`, roles))).toContain('superuser-network');
  });

  it('stays silent when a reject rule takes superusers first, or the rule is loopback-only', () => {
    const roles = [role('boss', { superuser: true })];
    expect(
      ids(snapshot('host all boss 0.0.0.0/0 reject\nhostssl all all 10.1.0.0/24 scram-sha-256\n', roles)),
    ).not.toContain('superuser-network');
    expect(ids(snapshot('host all boss 127.0.0.1/32 scram-sha-256\n', roles))).not.toContain('superuser-network');
  });
});

describe('shadowed rules', () => {
  it('finds a rule an earlier, wider rule always takes first', () => {
    const f = runAudit(
      snapshot(
        'hostssl all all 10.0.0.0/16 scram-sha-256\nhostssl shop app 10.0.1.0/24 scram-sha-256\nhostssl shop app 10.9.0.0/24 scram-sha-256\n',
        [role('app')],
      ),
    );
    const shadowed = f.find((x) => x.id === 'hba-shadowed')!;
    expect(shadowed.evidence).toEqual([
      '/pg/pg_hba.conf:2: hostssl shop app 10.0.1.0/24 scram-sha-256',
      'shadowed by /pg/pg_hba.conf:1: hostssl all all 10.0.0.0/16 scram-sha-256',
    ]);
  });

  it('does not call a rule dead when the earlier one differs in user, database, type or range', () => {
    const hba =
      'hostssl all bob 10.0.0.0/16 md5\nhostssl shop app 10.0.1.0/24 md5\nhostssl all all 10.0.0.0/24 md5\nhost all all 10.0.0.0/24 md5\nhostssl replication all 10.0.0.0/24 md5\n';
    expect(ids(snapshot(hba, [role('app')]))).not.toContain('hba-shadowed');
  });
});

describe('connection matrix', () => {
  it('gives each login role the method per source class, first match wins', () => {
    const m = connectionMatrix(
      snapshot(
        'local all all peer\nhost all all 127.0.0.1/32 scram-sha-256\nhost all app 10.8.0.0/16 md5\nhost all all 0.0.0.0/0 reject\n',
        [role('app'), role('ops', { login: false })],
      ),
    );
    expect(m.roles).toEqual(['app']);
    expect(m.sources.map((s) => s.label)).toEqual(['local', 'loopback', '0.0.0.0/0', '10.8.0.0/16', 'anywhere']);
    expect(m.cells.app).toEqual({
      local: 'peer',
      loopback: 'scram-sha-256',
      '10.8.0.0/16': 'md5',
      '0.0.0.0/0': 'reject',
      anywhere: 'reject',
    });
  });

  it("decides samehost/samenet from the server host's interfaces, and only when pgharden is on that host", () => {
    const s = snapshot('host all all samehost trust\nhost all all samenet md5\nhost all all all reject\n', [
      role('app'),
    ]);
    const lo = { address: '127.0.0.1', netmask: '255.0.0.0' };
    const on = connectionMatrix({ ...s, serverHost: { known: true, interfaces: [lo], how: 'socket' } });
    expect(on.cells.app).toMatchObject({ loopback: 'trust', anywhere: 'reject' });
    const off = connectionMatrix({ ...s, serverHost: { known: false, reason: 'over TCP from elsewhere' } });
    expect(off.cells.app).toMatchObject({ loopback: 'undecided', anywhere: 'undecided' });
  });
});

describe('pg_hba.conf lines the server fails', () => {
  it('reports a line that fails only in the server log (a RADIUS name that does not resolve) with the logged message', async () => {
    const { resolveRadiusNames } = await import('../../../src/hba/radius-names.js');
    const s = snapshot(
      'local all all peer\nhost all all 10.9.0.0/16 radius radiusservers=nosuch.invalid radiussecrets=s\n',
      [role('app')],
    );
    const pass = await resolveRadiusNames(s.hba.loaded!, s.context, async () => 'Name or service not known');
    const found = runAudit({ ...s, hba: { ...s.hba, loaded: pass.loaded } }).find((f) => f.id === 'hba-file-errors');
    expect(found?.evidence).toEqual([
      '/pg/pg_hba.conf:2: could not translate RADIUS server name "nosuch.invalid" to address: Name or service not known (only in the server log)',
    ]);
    expect(ids(s)).not.toContain('hba-file-errors');
  });
});
