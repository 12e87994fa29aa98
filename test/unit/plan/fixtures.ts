/** The story cluster as the planner sees it, built in code: no server, no files. */
import type { RoleFacts, Snapshot } from '../../../src/cluster/introspect.js';
import { STORY_HBA } from '../../../src/scratch/story.js';
import { defaultContext } from '../../../src/conf/context.js';
import { loadHba } from '../../../src/conf/load-hba.js';
import type { FileBinding } from '../../../src/plan/binding.js';
import type { PlanInput } from '../../../src/plan/input.js';
import { loadTemplates } from '../../../src/plan/templates.js';
import type { Spec } from '../../../src/spec/spec.js';

export const context = defaultContext({ major: 15 });
export const HBA = '/pg/data/pg_hba.conf';

export const role = (name: string, extra: Partial<RoleFacts> = {}): RoleFacts => ({
  name,
  superuser: false,
  login: true,
  createrole: false,
  createdb: false,
  replication: false,
  bypassrls: false,
  inherit: true,
  password: 'none',
  memberOf: [],
  allGroups: [],
  ...extra,
});

const file = (path: string, sha: string, mode = 0o600): FileBinding => ({
  path,
  sha256: sha.repeat(64).slice(0, 64),
  mode,
  uid: 999,
  gid: 999,
});

export function storySnapshot(
  hba = STORY_HBA,
  roles = [role('postgres', { superuser: true, password: 'none' }), role('legacy_app', { password: 'md5' })],
): Snapshot {
  const loaded = loadHba(HBA, { context, readFile: (p) => (p === HBA ? { text: hba, encoding: 'utf8' } : undefined) });
  return {
    version: 'PostgreSQL 15.14',
    major: 15,
    systemIdentifier: '7412345678901234567',
    context,
    settings: {
      listen_addresses: '127.0.0.1',
      port: '5432',
      password_encryption: 'md5',
      ssl: 'off',
      hba_file: HBA,
      ident_file: '/pg/data/pg_ident.conf',
      config_file: '/pg/data/postgresql.conf',
      data_directory: '/pg/data',
      log_connections: 'off',
      scram_iterations: null,
      ssl_cert_file: null,
      ssl_key_file: null,
      authentication_timeout: '60',
    },
    fileSettings: [
      {
        sourcefile: '/pg/data/postgresql.conf',
        sourceline: 800,
        seqno: 20,
        name: 'listen_addresses',
        setting: '*',
        applied: true,
        error: null,
      },
    ],
    hba: { file: HBA, loaded },
    roles,
    databases: ['postgres', 'workspace'],
    publicCanCreate: false,
    clients: [],
    files: [],
    connectedAs: 'postgres',
    confLoadTime: '2026-11-22T10:00:00.000Z',
    hbaChangedSinceReload: false,
    limits: [],
  };
}

export const storySpec = (): Spec => ({
  target: {},
  network: { trustedRanges: ['127.10.0.0/16'], superuser: 'local-only' },
  configFileMode: '0600',
  tls: { mode: 'off', minProtocol: 'TLSv1.2', certificate: 'generate', days: 397, expiryWarningDays: 30 },
  keep: [],
  roles: [
    {
      name: 'agents_app',
      template: 'app-readwrite',
      databases: ['workspace'],
      schema: 'public',
      readOnlyTables: ['agents_kill_switch'],
    },
    { name: 'reporting', template: 'readonly', databases: ['workspace'], schema: 'public', readOnlyTables: [] },
  ],
  consumers: [
    { name: 'agents', file: '/srv/agents/.env', role: 'agents_app', application: 'agents', drainTimeout: 300 },
  ],
});

export const PASSWORD = 'pw-Zq81vT0yN4cB2xE7hK5mR9sL3dF6gJ1a';

export async function storyInput(over: Partial<PlanInput> = {}): Promise<PlanInput> {
  const snapshot = over.snapshot ?? storySnapshot();
  const envText = '# agents\nDATABASE_URL=postgres://postgres@127.0.0.1:5432/workspace\n';
  return {
    name: 'office-vpn',
    planDir: '/srv/plans/office-vpn',
    createdAt: '2026-11-22T10:30:00.000Z',
    version: '0.1.0',
    target: { dsn: 'host=/var/run/postgresql port=5432 user=postgres' },
    snapshot,
    port: 5432,
    socketDir: '/var/run/postgresql',
    serverUser: { name: 'postgres', uid: 999, gid: 999 },
    hba: { file: HBA, lines: snapshot.hba.loaded!.files.get(HBA)!.lines, binding: file(HBA, 'a') },
    configFile: file('/pg/data/postgresql.conf', 'b', 0o644),
    autoConf: { ...file('/pg/data/postgresql.auto.conf', 'c'), settings: {} },
    identFile: file('/pg/data/pg_ident.conf', 'd', 0o640),
    configFacts: { debianLayout: false, secretSettings: [], restartCommand: 'pg_ctl restart -D /pg/data' },
    spec: storySpec(),
    templates: await loadTemplates(),
    tables: new Map([
      [
        'workspace',
        [
          { schema: 'public', name: 'agents', firstColumn: 'id' },
          { schema: 'public', name: 'agents_kill_switch', firstColumn: 'id' },
          { schema: 'public', name: 'tasks', firstColumn: 'id' },
        ],
      ],
    ]),
    consumers: [
      {
        name: 'agents',
        path: '/srv/agents/.env',
        format: 'env',
        text: envText,
        key: 'DATABASE_URL',
        oldUser: 'postgres',
        database: 'workspace',
        rewritten: envText.replace('postgres@', `agents_app:${PASSWORD}@`),
        binding: file('/srv/agents/.env', 'e', 0o640),
      },
    ],
    secretsSha256: 'f'.repeat(64),
    ...over,
  };
}
