/**
 * Read-only introspection: everything the audit judges, taken from a live server in one pass.
 * Nothing here writes. What the connected role may not see is listed in `limits`, never guessed.
 */
import { statSync } from 'node:fs';
import type pg from 'pg';
import type { ServerContext } from '../conf/context.js';
import type { HostInterfaces } from '../hba/interfaces.js';
import { resolveRadiusNames } from '../hba/radius-names.js';
import { fileSettingsRows, type FileSettingRow } from '../conf/guc-settings.js';
import type { RecoveryFacts } from './recovery-facts.js';
import type { PasswordAges } from './password-ages.js';
import type { ConsumerTlsFacts } from './consumer-tls-facts.js';
import { loadConf } from '../conf/load-conf.js';
import { loadHba, type LoadedHba } from '../conf/load-hba.js';
import { contextFromServer } from './build-options.js';
import { gucCatalogFromServer } from './guc-catalog.js';
import { readRoleFacts, type RoleFacts } from './role-facts.js';

export type { PasswordStorage, RoleFacts } from './role-facts.js';
import { readConfigFileAs, serverIdentity } from './server-reader.js';
import { serverHostInterfaces } from '../connect/server-host.js';
import { certificateFacts, type CertificateFacts } from './certificate-facts.js';

/** A loader option reading as the server's OS user, when that user can be known. */
export function serverReader(
  dataDirectory: string,
  top: readonly string[],
): { readFile?: ReturnType<typeof readConfigFileAs> } {
  try {
    return { readFile: readConfigFileAs(serverIdentity(dataDirectory), top) };
  } catch {
    return {};
  }
}

/** Sessions connected now, grouped by role, application, address and database. */
export interface ClientGroup {
  user: string;
  application: string;
  /** Null for the local socket. */
  clientAddress: string | null;
  database: string;
  ssl: boolean;
  sessions: number;
}

export interface FileFacts {
  role: 'config_file' | 'hba_file' | 'ident_file' | 'data_directory' | 'ssl_key_file' | 'ssl_cert_file';
  path: string;
  mode?: number;
  uid?: number;
  /** Why the file could not be examined. */
  error?: string;
}

/** Everything the audit looks at. */
export interface Snapshot {
  version: string;
  major: number;
  systemIdentifier: string | null;
  context: ServerContext;
  /** Effective values of the settings that matter (`null`: not visible or not in this version). */
  settings: Record<string, string | null>;
  /** The value postgresql.conf gives a setting, where it differs from how the server was started. */
  fileSettings: FileSettingRow[];
  hba: { file: string; loaded?: LoadedHba; error?: string };
  roles: RoleFacts[];
  databases: string[];
  /** PUBLIC may create in schema public of the connected database. */
  publicCanCreate: boolean;
  clients: ClientGroup[];
  files: FileFacts[];
  /** The OS uid that owns the data directory: the server's user. */
  serverUid?: number;
  /** The role pgharden connected as. */
  connectedAs: string;
  /** When the server last read its configuration files (pg_conf_load_time). */
  confLoadTime: string;
  /** A pg_hba.conf file (or one it includes) changed after that: the rules on disk are not the rules in force. */
  hbaChangedSinceReload: boolean;
  /** The server host's interfaces when pgharden runs there, for samehost/samenet; else why not. */
  serverHost?: HostInterfaces;
  /** What the audit could not see, and why. */
  limits: string[];
  /** The server certificate in use (ssl on): its expiry and the days left when the snapshot was taken. */
  certificate?: CertificateFacts;
  /** WAL archiving, backups and drills, when the caller gathered them (the audit does). */
  recovery?: RecoveryFacts;
  /** When pgharden set each role's password, and the limit, when the caller gathered them (the audit does). */
  passwordAges?: PasswordAges;
  /** The consumers the plans name and their connection strings' TLS parameters, when the caller gathered them (the audit does). */
  consumerTls?: ConsumerTlsFacts;
}

const withCertificate = (settings: Record<string, string | null>) => {
  const certificate = certificateFacts(settings);
  return certificate ? { certificate } : {};
};

const SETTINGS = [
  'listen_addresses',
  'port',
  'password_encryption',
  'ssl',
  'ssl_cert_file',
  'ssl_key_file',
  'ssl_min_protocol_version',
  'hba_file',
  'ident_file',
  'config_file',
  'data_directory',
  'authentication_timeout',
  'log_connections',
  'scram_iterations',
];

function fileFacts(role: FileFacts['role'], path: string | null): FileFacts | undefined {
  if (!path) return undefined;
  try {
    const st = statSync(path);
    return { role, path, mode: st.mode & 0o7777, uid: st.uid };
  } catch (err) {
    return { role, path, error: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
}

/** Takes the snapshot. `dataDir` overrides where postgresql.auto.conf is looked for. */
export async function introspect(client: pg.Client, opts: { dataDir?: string } = {}): Promise<Snapshot> {
  const limits: string[] = [];
  const { context, assumedBuild } = await contextFromServer(client);
  if (assumedBuild) limits.push(assumedBuild);
  const head = await client.query<{ version: string; me: string; su: boolean }>(
    'SELECT version(), current_user AS me, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su',
  );
  const { version, me, su } = head.rows[0]!;

  // pg_settings lists only what this role may read: a hidden setting is missing, not an error.
  const settings: Record<string, string | null> = Object.fromEntries(SETTINGS.map((n) => [n, null]));
  const s = await client.query<{ name: string; v: string }>(
    'SELECT name, setting AS v FROM pg_settings WHERE name = ANY($1)',
    [SETTINGS],
  );
  for (const r of s.rows) settings[r.name] = r.v;
  const hidden = SETTINGS.filter((n) => settings[n] === null);
  if (!su)
    limits.push(
      `connected as "${me}", not a superuser (grant pg_read_all_settings and pg_monitor, or run as a superuser, to see everything)`,
    );
  for (const n of hidden)
    if (n !== 'scram_iterations' || context.major >= 16) limits.push(`setting ${n}: not visible to "${me}"`);

  let systemIdentifier: string | null = null;
  try {
    systemIdentifier = (
      await client.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()')
    ).rows[0]!.id;
  } catch (err) {
    limits.push(`system_identifier: ${(err as Error).message}`);
  }

  const roles = await readRoleFacts(client, limits);

  const databases = (
    await client.query<{ d: string }>('SELECT datname AS d FROM pg_database WHERE datallowconn ORDER BY 1')
  ).rows.map((r) => r.d);
  const publicCanCreate = (
    await client.query<{ c: boolean }>(
      "SELECT coalesce(bool_or(has_schema_privilege('public', n.oid, 'CREATE')), false) AS c FROM pg_namespace n WHERE nspname = 'public'",
    )
  ).rows[0]!.c;

  if (!su)
    limits.push(
      'pg_stat_activity: sessions of other roles show no client address unless the role has pg_read_all_stats',
    );
  const clients = (
    await client.query<{ user: string; app: string; addr: string | null; db: string; ssl: boolean; n: number }>(
      `SELECT a.usename AS user, a.application_name AS app, host(a.client_addr) AS addr, a.datname AS db,
            coalesce(s.ssl, false) AS ssl, count(*)::int AS n
     FROM pg_stat_activity a LEFT JOIN pg_stat_ssl s ON s.pid = a.pid
     WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()
     GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3`,
    )
  ).rows.map((r) => ({
    user: r.user,
    application: r.app,
    clientAddress: r.addr,
    database: r.db,
    ssl: r.ssl,
    sessions: r.n,
  }));

  const files = (['config_file', 'hba_file', 'ident_file', 'data_directory', 'ssl_key_file', 'ssl_cert_file'] as const)
    .filter((k) => (k !== 'ssl_key_file' && k !== 'ssl_cert_file' ? true : settings.ssl === 'on'))
    .map((k) => fileFacts(k, settings[k] ?? null))
    .filter((f): f is FileFacts => f !== undefined);
  for (const f of files) if (f.error) limits.push(`${f.role} ${f.path}: cannot stat (${f.error})`);
  const serverUid = files.find((f) => f.role === 'data_directory')?.uid;

  // Includes are judged as the server's OS user can open them, not as pgharden (root) can.
  const asServer = settings.data_directory
    ? serverReader(settings.data_directory, [settings.hba_file ?? '', settings.config_file ?? ''])
    : {};
  const hbaFile = settings.hba_file ?? '';
  const hba: Snapshot['hba'] = { file: hbaFile };
  if (!hbaFile) {
    hba.error = 'hba_file is not visible';
    limits.push('pg_hba.conf: its location (hba_file) is not visible, so no rule was judged and the matrix is empty');
  } else {
    try {
      // RADIUS server names are looked up as the server does while parsing (src/hba/radius-names.ts).
      hba.loaded = (await resolveRadiusNames(loadHba(hbaFile, { context, ...asServer }), context)).loaded;
    } catch (err) {
      hba.error = (err as Error).message;
      limits.push(`pg_hba.conf ${hbaFile}: ${hba.error}; run pgharden on the server's host, as its OS user`);
    }
  }
  // The server keeps the rules it loaded at the last reload; the file may have changed since.
  const loadTime = (await client.query<{ t: Date }>('SELECT pg_conf_load_time() AS t')).rows[0]!.t;

  let fileSettings: FileSettingRow[] = [];
  if (settings.config_file) {
    try {
      const dataDir = opts.dataDir ?? settings.data_directory ?? undefined;
      fileSettings = fileSettingsRows(
        loadConf(settings.config_file, { ...(dataDir ? { dataDir } : {}), ...asServer, major: context.major }),
        await gucCatalogFromServer(client),
      );
    } catch (err) {
      limits.push(`postgresql.conf ${settings.config_file}: ${(err as Error).message}`);
    }
  }

  let hbaChangedSinceReload = false;
  if (hba.loaded) {
    for (const f of hba.loaded.files.keys()) {
      try {
        if (statSync(f).mtimeMs > loadTime.getTime()) hbaChangedSinceReload = true;
      } catch {}
    }
  }

  const serverHost = await serverHostInterfaces(client);
  const sameHostRules = hba.loaded?.rules.some((r) => ['samehost', 'samenet'].includes(r.rule.address?.kind ?? ''));
  if (!serverHost.known && sameHostRules) limits.push(`samehost/samenet rules are undecided: ${serverHost.reason}`);

  return {
    version,
    major: context.major,
    confLoadTime: loadTime.toISOString(),
    hbaChangedSinceReload,
    serverHost,
    systemIdentifier,
    context,
    settings,
    fileSettings,
    hba,
    roles,
    databases,
    publicCanCreate,
    clients,
    files,
    ...(serverUid === undefined ? {} : { serverUid }),
    ...withCertificate(settings),
    connectedAs: me,
    limits,
  };
}
