import { describe, expect, it } from 'vitest';
import type { RoleFacts, Snapshot } from '../../../src/cluster/introspect.js';
import { defaultContext } from '../../../src/conf/context.js';
import { loadHba } from '../../../src/conf/load-hba.js';
import { compare } from '../../../src/drift/compare.js';
import { driftFamilies } from '../../../src/drift/drift-metrics.js';
import { driftTimerFiles } from '../../../src/drift/timer.js';
import type { DesiredState, Observed } from '../../../src/drift/drift-types.js';
import { role } from '../../support/snapshot.js';

const context = defaultContext({ major: 15 });

const HARDENED = [
  'local all postgres peer',
  'host all postgres 0.0.0.0/0 reject',
  'host workspace all 10.8.0.0/24 scram-sha-256',
  '',
].join('\n');

function snapshot(hba: string, roles: RoleFacts[], settings: Record<string, string> = {}): Snapshot {
  const loaded = loadHba('/pg/pg_hba.conf', {
    context,
    readFile: (p) => (p === '/pg/pg_hba.conf' ? { text: hba, encoding: 'utf8' } : undefined),
  });
  return {
    version: 'PostgreSQL 15',
    major: 15,
    systemIdentifier: '1',
    context,
    settings: { password_encryption: 'scram-sha-256', port: '5432', ...settings },
    fileSettings: [],
    hba: { file: '/pg/pg_hba.conf', loaded },
    roles,
    databases: ['postgres', 'workspace'],
    publicCanCreate: false,
    clients: [],
    files: [],
    connectedAs: 'postgres',
    confLoadTime: new Date().toISOString(),
    hbaChangedSinceReload: false,
    limits: [],
  };
}

const desired: DesiredState = {
  source: 'plan plans/x',
  replan: 'pgharden plan --spec SPEC',
  hba: { path: '/pg/pg_hba.conf', content: HARDENED },
  roles: [
    { name: 'app', template: 'app-readwrite', databases: ['workspace'], schema: 'public', readOnlyTables: ['kill'] },
  ],
  consumers: [{ name: 'agents', path: '/srv/agents.env', role: 'app' }],
  fileModes: [{ path: '/pg/pg_hba.conf', mode: 0o600 }],
};

function observed(
  o: Partial<Observed> & { hba?: string; roles?: RoleFacts[]; settings?: Record<string, string> } = {},
): Observed {
  const hba = o.hba ?? HARDENED;
  return {
    snapshot: snapshot(hba, o.roles ?? [role('postgres', { superuser: true }), role('app')], o.settings),
    hbaText: hba,
    grants: o.grants ?? [
      {
        role: 'app',
        database: 'workspace',
        connect: true,
        createInSchema: false,
        tables: [
          { table: 'public.tasks', privileges: ['select', 'insert', 'update', 'delete'] },
          { table: 'public.kill', privileges: ['select'] },
        ],
      },
    ],
    consumers: o.consumers ?? [{ name: 'agents', path: '/srv/agents.env', user: 'app', line: 2 }],
    fileModes: o.fileModes ?? [{ path: '/pg/pg_hba.conf', mode: 0o600 }],
    templates: new Map([
      ['app-readwrite', { tablePrivileges: ['select', 'insert', 'update', 'delete'], createsInSchema: false }],
    ]),
  };
}

describe('drift comparison', () => {
  it('finds nothing when the cluster is as the plan left it', () => {
    expect(compare(desired, observed())).toEqual([]);
  });

  it('accepts the rotation partner as the consumer login and the role that logs in', () => {
    const o = observed({
      roles: [role('postgres', { superuser: true }), role('app', { login: false }), role('app_alt')],
      consumers: [{ name: 'agents', path: '/srv/agents.env', user: 'app_alt', line: 2 }],
    });
    expect(compare(desired, o)).toEqual([]);
  });

  it('names a trust line added at the top with its file:line, and the superuser it admits', () => {
    const d = compare(desired, observed({ hba: `host all all 10.0.0.0/8 trust\n${HARDENED}` }));
    expect(d.map((x) => `${x.kind} ${x.object}`)).toEqual([
      'hba-rule /pg/pg_hba.conf:1',
      'superuser-network role postgres',
    ]);
    expect(d[0]).toMatchObject({
      actual: 'trust from 10.0.0.0/8',
      evidence: ['/pg/pg_hba.conf:1: host all all 10.0.0.0/8 trust'],
      fix: "sed -i '1s/^/# /' '/pg/pg_hba.conf' && psql -c 'SELECT pg_reload_conf()'",
    });
    expect(d[1]!.fix).toContain('above /pg/pg_hba.conf:1');
  });

  it('names scram lines added or removed against the plan, but not against a spec', () => {
    const changed = HARDENED.replace(
      'host workspace all 10.8.0.0/24 scram-sha-256\n',
      'host all all 10.9.0.0/24 scram-sha-256\n',
    );
    const d = compare(desired, observed({ hba: changed }));
    expect(d.map((x) => [x.object, x.expected, x.actual])).toEqual([
      ['/pg/pg_hba.conf:3', 'host workspace all 10.8.0.0/24 scram-sha-256', 'absent'],
      ['/pg/pg_hba.conf:3', 'absent (not in the pg_hba.conf the plan left)', 'host all all 10.9.0.0/24 scram-sha-256'],
    ]);
    const { hba: _h, ...spec } = desired;
    expect(compare(spec, observed({ hba: changed }))).toEqual([]);
  });

  it('names a missing role, extra attributes, a lost login, grants, password_encryption, modes and consumers', () => {
    expect(compare(desired, observed({ roles: [role('postgres', { superuser: true })], grants: [] }))).toMatchObject([
      { kind: 'role', object: 'role app', actual: 'missing', fix: 'pgharden plan --spec SPEC' },
    ]);
    const d = compare(
      desired,
      observed({
        roles: [role('postgres', { superuser: true }), role('app', { superuser: true, login: false })],
        grants: [
          {
            role: 'app',
            database: 'workspace',
            connect: false,
            createInSchema: true,
            tables: [
              { table: 'public.tasks', privileges: ['select'] },
              { table: 'public.kill', privileges: ['select', 'update'] },
            ],
          },
        ],
        settings: { password_encryption: 'md5' },
        fileModes: [{ path: '/pg/pg_hba.conf', mode: 0o644 }],
        consumers: [{ name: 'agents', path: '/srv/agents.env', user: 'postgres', line: 2 }],
      }),
    );
    expect(d.map((x) => `${x.kind}: ${x.object}: ${x.expected} / ${x.actual}`)).toEqual([
      'role-attribute: role app: NOSUPERUSER / SUPERUSER',
      'role-attribute: role app: LOGIN / NOLOGIN',
      'grant: role app in workspace: database workspace: CONNECT / no CONNECT',
      'grant: role app in workspace: schema public: no CREATE / CREATE',
      'grant: role app in workspace: table public.tasks: SELECT, INSERT, UPDATE, DELETE / SELECT',
      'grant: role app in workspace: table public.kill: SELECT / SELECT, UPDATE',
      'password-encryption: password_encryption: scram-sha-256 / md5',
      'file-mode: /pg/pg_hba.conf: 0600 or stricter / 0644',
      'consumer-dsn: consumer agents: connects as app / connects as postgres',
    ]);
    expect(d.find((x) => x.object.endsWith('public.kill'))!.fix).toBe(
      `psql -d workspace -c 'REVOKE UPDATE ON "public"."kill" FROM "app"'`,
    );
    expect(d.find((x) => x.kind === 'consumer-dsn')!.evidence).toEqual(['/srv/agents.env:2: user postgres']);
  });

  it('takes a stricter mode as in sync', () => {
    expect(compare(desired, observed({ fileModes: [{ path: '/pg/pg_hba.conf', mode: 0o400 }] }))).toEqual([]);
  });
});

describe('drift metrics and timer', () => {
  it('labels every kind by cluster and keeps other clusters', () => {
    const f = driftFamilies('/nonexistent/drift.prom', '15/main', [], new Date(1_700_000_000_000));
    expect(f.map((x) => x.name)).toEqual([
      'pgharden_drift_differences',
      'pgharden_drift_in_sync',
      'pgharden_drift_last_run_timestamp_seconds',
    ]);
    expect(f[0]!.samples).toContainEqual({ labels: { cluster: '15/main', kind: 'hba-rule' }, value: 0 });
    expect(f[2]!.samples).toEqual([{ labels: { cluster: '15/main' }, value: 1_700_000_000 }]);
  });

  it('writes a oneshot service that counts exit 1 as success, a persistent timer and a cron line', () => {
    const t = driftTimerFiles({
      command: ['/usr/bin/node', '/opt/pgharden/main.js', 'drift', '--metrics', '/m/a b.prom'],
      user: 'postgres',
      unitDir: '/u',
    });
    expect(t.service.path).toBe('/u/pgharden-drift.service');
    expect(t.service.text).toContain(
      'User=postgres\nSuccessExitStatus=1\nExecStart=/usr/bin/node /opt/pgharden/main.js drift --metrics "/m/a b.prom"\n',
    );
    expect(t.timer.text).toContain('Persistent=true');
    expect(t.cron).toBe(
      "17 3 * * * postgres /usr/bin/node /opt/pgharden/main.js drift --metrics '/m/a b.prom' >/dev/null 2>&1",
    );
  });
});
