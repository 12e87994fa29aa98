/**
 * Every audit check on its own: the server state that makes it fire, and the nearest state that
 * must not. Each case starts from a well-kept server on which no check fires at all, and changes
 * one thing; the check is run through the audit, as `pgharden audit` runs it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS, runAudit } from '../../../src/audit/run-audit.js';
import type { Snapshot } from '../../../src/cluster/introspect.js';
import { role, snapshot } from '../../support/snapshot.js';

const SERVER_UID = 100;
const HBA = 'local all postgres peer\nhostssl all app 10.1.0.0/24 scram-sha-256\n';

/** The well-kept server, with `hba` as its pg_hba.conf (the base one by default). */
function wellKept(hba = HBA): Snapshot {
  const s = snapshot(hba, [role('postgres', { superuser: true }), role('app')]);
  s.serverUid = SERVER_UID;
  s.files = [
    { role: 'data_directory', path: '/pg', mode: 0o700, uid: SERVER_UID },
    { role: 'config_file', path: '/pg/postgresql.conf', mode: 0o600, uid: SERVER_UID },
    { role: 'hba_file', path: '/pg/pg_hba.conf', mode: 0o600, uid: SERVER_UID },
    { role: 'ssl_key_file', path: '/pg/server.key', mode: 0o600, uid: SERVER_UID },
  ];
  return s;
}
const withHba = (line: string) => wellKept(`${HBA}${line}\n`);
const edit = (change: (s: Snapshot) => void, hba?: string) => {
  const s = wellKept(hba);
  change(s);
  return s;
};
const file = (s: Snapshot, r: string) => s.files.find((f) => f.role === r)!;
const client = (user: string, clientAddress: string | null, application = 'app') => ({
  user,
  clientAddress,
  application,
  database: 'postgres',
  ssl: true,
  sessions: 1,
});
const setting = (name: string, value: string, error: string | null = null) => ({
  sourcefile: '/pg/postgresql.conf',
  sourceline: 3,
  seqno: 1,
  name,
  setting: value,
  applied: error === null,
  error,
});

/** One consumer file the plans name, with these libpq parameters in its connection string. */
const consumerTls = (sslmode: string, channelBinding: string) => ({
  source: 'the consumers of the plans under plans',
  requestedBy: null,
  consumers: [
    { name: 'agents', path: '/srv/agents/.env', line: 2, sslmode, sslrootcert: '/srv/agents/ca.crt', channelBinding },
  ],
});

/** For each check: a state it must report, and the nearest state it must not. */
const CASES: Record<string, { fires: () => Snapshot; quiet: () => Snapshot }> = {
  'conf-file-errors': {
    fires: () => edit((s) => s.fileSettings.push(setting('work_mem', 'lots', 'invalid value for parameter'))),
    quiet: () => edit((s) => s.fileSettings.push(setting('work_mem', '64MB'))),
  },
  'data-directory-mode': {
    fires: () => edit((s) => (file(s, 'data_directory').mode = 0o770)),
    quiet: () => edit((s) => (file(s, 'data_directory').mode = 0o750)),
  },
  'file-owner': {
    fires: () => edit((s) => (file(s, 'config_file').uid = 1234)),
    quiet: () => edit((s) => (file(s, 'config_file').uid = 0)),
  },
  'file-permissions': {
    fires: () => edit((s) => (file(s, 'config_file').mode = 0o644)),
    quiet: () => edit((s) => (file(s, 'config_file').mode = 0o640)),
  },
  'hba-file-errors': {
    fires: () => withHba('hostssl all app 10.1.0.0/33 scram-sha-256'),
    quiet: () => withHba('hostssl all app 10.1.0.0/32 scram-sha-256'),
  },
  'hba-md5': {
    fires: () => withHba('hostssl all app 10.2.0.0/24 md5'),
    quiet: () => withHba('hostssl all app 10.2.0.0/24 scram-sha-256'),
  },
  'hba-not-loaded': {
    fires: () => edit((s) => (s.hbaChangedSinceReload = true)),
    quiet: () => wellKept(),
  },
  'hba-password-cleartext': {
    fires: () => withHba('hostssl all app 10.2.0.0/24 password'),
    quiet: () => withHba('hostssl all app 10.2.0.0/24 scram-sha-256'),
  },
  'hba-shadowed': {
    fires: () => withHba('hostssl all app 10.1.0.0/25 scram-sha-256'),
    quiet: () => withHba('hostssl all app 10.2.0.0/25 scram-sha-256'),
  },
  'hba-ssl-not-required': {
    fires: () => withHba('host all app 10.2.0.0/24 scram-sha-256'),
    quiet: () => withHba('host all app 127.0.0.1/32 scram-sha-256'),
  },
  'hba-trust-local': {
    fires: () => wellKept(`local all all trust\n${HBA}`),
    quiet: () => wellKept(`local all app trust\n${HBA}`),
  },
  'hba-trust-network': {
    fires: () => withHba('hostssl all app 10.2.0.0/24 trust'),
    quiet: () => withHba('host all app 127.0.0.1/32 trust'),
  },
  'hba-trust-replication': {
    fires: () => withHba('hostssl replication app 10.2.0.0/24 trust'),
    quiet: () => withHba('hostssl replication app 10.2.0.0/24 scram-sha-256'),
  },
  'hba-wide-range': {
    fires: () => withHba('hostssl all app 10.0.0.0/8 scram-sha-256'),
    quiet: () => withHba('hostssl all app 10.0.0.0/8 reject'),
  },
  'listen-all-wide': {
    fires: () => edit((s) => (s.settings.listen_addresses = '*'), `${HBA}hostssl all app 10.0.0.0/16 scram-sha-256\n`),
    quiet: () => edit((s) => (s.settings.listen_addresses = '*'), `${HBA}hostssl all app 10.0.0.0/17 scram-sha-256\n`),
  },
  'log-connections-off': {
    fires: () => edit((s) => (s.settings.log_connections = 'off')),
    quiet: () => edit((s) => (s.settings.log_connections = 'on')),
  },
  'login-role-powers': {
    fires: () => edit((s) => (s.roles[1]!.createrole = true)),
    quiet: () => edit((s) => (s.roles[1]!.createdb = true)),
  },
  'multiple-superusers': {
    fires: () => edit((s) => (s.roles[1]!.superuser = true)),
    quiet: () => edit((s) => (s.roles[1]!.createdb = true)),
  },
  'password-encryption': {
    fires: () => edit((s) => (s.settings.password_encryption = 'md5')),
    quiet: () => wellKept(),
  },
  'public-schema-create': {
    fires: () => edit((s) => (s.publicCanCreate = true)),
    quiet: () => wellKept(),
  },
  'roles-md5-stored': {
    fires: () => edit((s) => (s.roles[1]!.password = 'md5')),
    quiet: () => edit((s) => (s.roles[1]!.password = 'none')),
  },
  'roles-no-password-network': {
    fires: () =>
      edit((s) => {
        s.roles[1]!.password = 'none';
        s.clients.push(client('app', '10.1.0.5'));
      }),
    quiet: () =>
      edit((s) => {
        s.roles[1]!.password = 'none';
        s.clients.push(client('app', null));
      }),
  },
  'scram-iterations-low': {
    fires: () => edit((s) => (s.settings.scram_iterations = '1024')),
    quiet: () => edit((s) => (s.settings.scram_iterations = '4096')),
  },
  'ssl-key-permissions': {
    fires: () => edit((s) => (file(s, 'ssl_key_file').mode = 0o640)),
    quiet: () =>
      edit((s) => {
        // Root's key readable by the ssl-cert group, as Debian ships the snakeoil key.
        file(s, 'ssl_key_file').mode = 0o640;
        file(s, 'ssl_key_file').uid = 0;
      }),
  },
  'ssl-off-network': {
    // Without the base's hostssl rule: it is itself a network rule.
    fires: () =>
      edit((s) => (s.settings.ssl = 'off'), 'local all postgres peer\nhost all app 10.2.0.0/24 scram-sha-256\n'),
    quiet: () =>
      edit((s) => (s.settings.ssl = 'off'), 'local all postgres peer\nhost all app 127.0.0.1/32 scram-sha-256\n'),
  },
  'tls-consumer-unverified': {
    fires: () => edit((s) => (s.consumerTls = consumerTls('require', 'require'))),
    quiet: () => edit((s) => (s.consumerTls = consumerTls('verify-full', 'require'))),
  },
  'superuser-connected': {
    fires: () => edit((s) => s.clients.push(client('postgres', null, 'psql'))),
    quiet: () => edit((s) => s.clients.push(client('postgres', null, 'pgharden audit'))),
  },
  'superuser-network': {
    fires: () => withHba('hostssl all postgres 10.2.0.0/24 scram-sha-256'),
    quiet: () => withHba('hostssl all postgres 127.0.0.1/32 scram-sha-256'),
  },
};

const ids = (s: Snapshot) => runAudit(s).map((f) => f.id);

describe('every audit check', () => {
  it('stays silent, every one of them, on the well-kept server the cases start from', () => {
    expect(ids(wellKept())).toEqual([]);
  });

  it.each(Object.keys(CASES))('%s fires where it must, and not on the nearest state', (id) => {
    const c = CASES[id]!;
    expect(ids(c.fires()), 'fires').toContain(id);
    expect(ids(c.quiet()), 'quiet').not.toContain(id);
  });

  it('has a test: here, or in another of the audit unit tests (by its id, or importing its file)', () => {
    const dir = join(import.meta.dirname);
    const others = readdirSync(dir)
      .filter((f) => f.endsWith('.test.ts') && f !== 'each-check.test.ts')
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n');
    const untested = CHECKS.map((c) => c.id).filter(
      (id) => !(id in CASES) && !others.includes(`'${id}'`) && !others.includes(`/checks/${id}.js'`),
    );
    expect(untested).toEqual([]);
  });
});
