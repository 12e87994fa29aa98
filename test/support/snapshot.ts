/** Snapshots of a well-kept server for the audit's unit tests: pg_hba.conf through the real loader. */
import type { RoleFacts, Snapshot } from '../../src/cluster/introspect.js';
import { defaultContext } from '../../src/conf/context.js';
import { loadHba } from '../../src/conf/load-hba.js';

export const context = defaultContext({ major: 16 });

/** A login role with a SCRAM password and no powers, unless `extra` says otherwise. */
export const role = (name: string, extra: Partial<RoleFacts> = {}): RoleFacts => ({
  name,
  superuser: false,
  login: true,
  createrole: false,
  createdb: false,
  replication: false,
  bypassrls: false,
  inherit: true,
  password: 'scram-sha-256',
  memberOf: [],
  allGroups: [],
  ...extra,
});

/** A snapshot of a well-kept server whose pg_hba.conf is `hba` (given as text, read through the real loader). */
export function snapshot(hba: string, roles: RoleFacts[]): Snapshot {
  const files: Record<string, string> = { '/pg/pg_hba.conf': hba };
  const loaded = loadHba('/pg/pg_hba.conf', {
    context,
    readFile: (p) => (p in files ? { text: files[p]!, encoding: 'utf8' } : undefined),
  });
  return {
    version: 'PostgreSQL 16',
    major: 16,
    systemIdentifier: '1',
    context,
    settings: {
      ssl: 'on',
      listen_addresses: 'localhost',
      password_encryption: 'scram-sha-256',
      log_connections: 'on',
      scram_iterations: '4096',
    },
    fileSettings: [],
    hba: { file: '/pg/pg_hba.conf', loaded },
    roles,
    databases: ['postgres'],
    publicCanCreate: false,
    clients: [],
    files: [],
    connectedAs: 'postgres',
    confLoadTime: new Date().toISOString(),
    hbaChangedSinceReload: false,
    limits: [],
  };
}
