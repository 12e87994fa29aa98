/**
 * Where a connection goes, resolved in libpq's order (fe-connect.c conninfo_add_defaults): the
 * connection string, then the service file (`service=` or PGSERVICE), then the environment
 * (PGHOST, PGPORT, PGUSER, …), then the built-in defaults; the password last, from the password
 * file. Debian's `--cluster`/PGCLUSTER act as its `psql` wrapper does: they set the host and port
 * the environment would.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ConninfoError, KEYWORDS, parseConninfo, type Conninfo } from './conninfo.js';
import { findCluster, listClusters, type DebianCluster } from './debian-clusters.js';

/** How to reach the server: a libpq connection string, a Debian cluster, or the environment. */
export interface ConnectOptions {
  /** Any form libpq accepts: URI, keyword/value, or a database name. */
  dsn?: string;
  /** Debian's VERSION/NAME (`--cluster`); PGCLUSTER in the environment otherwise. */
  cluster?: string;
  env?: NodeJS.ProcessEnv;
  /** Another database than the one the options name (every other parameter kept). */
  database?: string;
}

/** A connection target with every parameter resolved. */
export interface ResolvedTarget {
  /** host, port, user, dbname always; others as given. `password` only when one was found. */
  params: Conninfo & { host: string; port: string; user: string; dbname: string };
  /** The Debian cluster it was selected by, if any. */
  cluster?: DebianCluster;
  /** Parameters that came from libpq's built-in defaults rather than anything the user set. */
  defaulted: Set<'host' | 'port' | 'user' | 'dbname'>;
}

/** libpq's environment variables and the keyword each one stands for. */
const ENV_KEYWORDS: [string, string][] = [
  ['PGHOST', 'host'],
  ['PGHOSTADDR', 'hostaddr'],
  ['PGPORT', 'port'],
  ['PGDATABASE', 'dbname'],
  ['PGUSER', 'user'],
  ['PGPASSWORD', 'password'],
  ['PGPASSFILE', 'passfile'],
  ['PGOPTIONS', 'options'],
  ['PGAPPNAME', 'application_name'],
  ['PGSSLMODE', 'sslmode'],
  ['PGSSLROOTCERT', 'sslrootcert'],
  ['PGSSLCERT', 'sslcert'],
  ['PGSSLKEY', 'sslkey'],
  ['PGSSLCRL', 'sslcrl'],
  ['PGCONNECT_TIMEOUT', 'connect_timeout'],
  ['PGCLIENTENCODING', 'client_encoding'],
  ['PGTARGETSESSIONATTRS', 'target_session_attrs'],
  ['PGREQUIREAUTH', 'require_auth'],
  ['PGCHANNELBINDING', 'channel_binding'],
  ['PGGSSENCMODE', 'gssencmode'],
  ['PGKRBSRVNAME', 'krbsrvname'],
  ['PGSSLNEGOTIATION', 'sslnegotiation'],
];

/** Debian's libpq is built with this socket directory; upstream builds use /tmp. */
export const DEFAULT_SOCKET_DIRS = ['/var/run/postgresql', '/tmp'];

/** Reads one section of a pg_service.conf as libpq does (`[name]`, then `keyword=value` lines). */
export function serviceSection(text: string, name: string, file: string): Conninfo | undefined {
  let current: string | undefined;
  let found: Conninfo | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const section = /^\[(.*)\]$/.exec(line);
    if (section) {
      current = section[1];
      if (current === name) found ??= {};
      return;
    }
    if (current !== name || !found) return;
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq).trim() : '';
    if (!KEYWORDS.has(key)) throw new ConninfoError(`syntax error in service file "${file}", line ${i + 1}`);
    if (key === 'service')
      throw new ConninfoError(`nested service specifications not supported in service file "${file}", line ${i + 1}`);
    found[key] ??= line.slice(eq + 1).trim();
  });
  return found;
}

function serviceParams(name: string, env: NodeJS.ProcessEnv): Conninfo {
  const files = [
    env.PGSERVICEFILE ?? join(homedir(), '.pg_service.conf'),
    join(env.PGSYSCONFDIR ?? '/etc/postgresql-common', 'pg_service.conf'),
  ];
  if (env.PGSERVICEFILE !== undefined && !existsSync(env.PGSERVICEFILE))
    throw new ConninfoError(`service file "${env.PGSERVICEFILE}" not found`);
  for (const file of files) {
    if (!existsSync(file)) continue;
    const section = serviceSection(readFileSync(file, 'utf8'), name, file);
    if (section) return section;
  }
  throw new ConninfoError(`definition of service "${name}" not found (looked in ${files.join(' and ')})`);
}

/** The Debian cluster the options select, as the psql wrapper would, or undefined. */
function selectCluster(o: ConnectOptions, env: NodeJS.ProcessEnv, given: Conninfo): DebianCluster | undefined {
  if (o.cluster) return findCluster(o.cluster);
  if (env.PGCLUSTER && env.PGHOST === undefined && given.host === undefined) return findCluster(env.PGCLUSTER);
  // With nothing set at all, the one running cluster (the common single-cluster server).
  const nothingSet =
    o.dsn === undefined &&
    ['PGHOST', 'PGPORT', 'PGSERVICE', 'PGCLUSTER', 'PGHOSTADDR'].every((k) => env[k] === undefined);
  if (!nothingSet) return undefined;
  const running = listClusters().filter((c) => c.running);
  return running.length === 1 ? running[0] : undefined;
}

/** Unescapes one field of a .pgpass line (`\:` and `\\`). */
function passFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  for (let i = 0; i < line.length; i += 1) {
    if (line[i] === '\\' && i + 1 < line.length) field += line[++i];
    else if (line[i] === ':') {
      // The password ends at the next unescaped colon, as in libpq.
      if (fields.length === 4) break;
      fields.push(field);
      field = '';
    } else field += line[i];
  }
  return [...fields, field];
}

/**
 * The password libpq would take from the password file, or undefined. libpq ignores a file that is
 * not a regular file or that the group or others can read; `localhost` matches the default socket
 * directory too.
 */
export function passwordFromFile(
  file: string,
  p: { host: string; port: string; dbname: string; user: string },
): string | undefined {
  try {
    const st = statSync(file);
    if (!st.isFile() || (st.mode & 0o077) !== 0) return undefined;
  } catch {
    return undefined;
  }
  const host = p.host.startsWith('/') && p.host === DEFAULT_SOCKET_DIRS[0] ? 'localhost' : p.host;
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const f = passFields(line);
    if (f.length < 5) continue;
    const want = [host, p.port, p.dbname, p.user];
    if (want.every((w, i) => f[i] === '*' || f[i] === w)) return f[4];
  }
  return undefined;
}

function defaultSocketDir(port: string): string {
  return (
    DEFAULT_SOCKET_DIRS.find((d) => existsSync(join(d, `.s.PGSQL.${port}`))) ??
    DEFAULT_SOCKET_DIRS.find((d) => existsSync(d)) ??
    'localhost'
  );
}

/** Resolves the options into every parameter libpq would use. */
export function resolveTarget(o: ConnectOptions = {}): ResolvedTarget {
  const env = o.env ?? process.env;
  const params: Conninfo = o.dsn !== undefined ? parseConninfo(o.dsn) : {};
  const cluster = selectCluster(o, env, params);
  const service = params.service ?? env.PGSERVICE;
  if (service) for (const [k, v] of Object.entries(serviceParams(service, env))) params[k] ??= v;
  // The cluster stands where the psql wrapper puts it: PGHOST always, PGPORT unless set.
  const effectiveEnv: NodeJS.ProcessEnv = cluster
    ? { ...env, PGHOST: cluster.socketDir, PGPORT: env.PGPORT ?? String(cluster.port) }
    : env;
  for (const [name, key] of ENV_KEYWORDS)
    if (params[key] === undefined && effectiveEnv[name] !== undefined) params[key] = effectiveEnv[name]!;
  if (o.database !== undefined) params.dbname = o.database;
  const defaulted = new Set<'host' | 'port' | 'user' | 'dbname'>();
  const byDefault = (key: 'host' | 'port' | 'user' | 'dbname', value: () => string) => {
    if (params[key]) return;
    params[key] = value();
    defaulted.add(key);
  };
  byDefault('port', () => '5432');
  if (!params.hostaddr) byDefault('host', () => defaultSocketDir(params.port!));
  params.host ??= params.hostaddr!;
  byDefault('user', () => userInfo().username);
  byDefault('dbname', () => params.user!);
  // Every one of host, port, user and dbname is set from here on.
  const r = params as ResolvedTarget['params'];
  if (r.host.includes(',') || r.port.includes(',')) {
    throw new ConninfoError(
      `the connection names several hosts (${r.host}); pgharden works on one server at a time: name one host`,
    );
  }
  if (!/^\d+$/.test(r.port) || Number(r.port) < 1 || Number(r.port) > 65535)
    throw new ConninfoError(`invalid port number: "${r.port}"`);
  if (r.password === undefined) {
    const pw = passwordFromFile(r.passfile ?? join(homedir(), '.pgpass'), r);
    if (pw !== undefined) r.password = pw;
  }
  return { params: r, ...(cluster ? { cluster } : {}), defaulted };
}
