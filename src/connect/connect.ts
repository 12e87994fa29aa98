/**
 * Connecting as libpq would (conninfo.ts, libpq-resolve.ts), with one addition for `sudo
 * pgharden`: run as root against a local socket, pgharden reaches the server as the socket's owner
 * (the server's OS user) through a peer relay, the same path apply uses, while pgharden itself
 * keeps root's access to files.
 */
import { readFileSync, type Stats, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { formatConninfo } from './conninfo.js';
import { resolveTarget, type ConnectOptions, type ResolvedTarget } from './libpq-resolve.js';
import { keepErrors } from './lost-connection.js';
import { PeerRelay, type PeerIdentity } from './peer-relay.js';
import { InputError, serverMessage } from '../core/errors.js';

export type { ConnectOptions, ResolvedTarget };
export { resolveTarget };

/** A connection that could not be made: exit 2, with the target (no password) and the next step. */
export class ConnectionError extends InputError {
  constructor(
    message: string,
    next: string,
    readonly code?: string,
  ) {
    super(message, next);
  }
}

/** The name of the OS user with this uid, from /etc/passwd. */
export function osUserName(uid: number): string {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[2] === String(uid));
  return line?.split(':')[0] ?? String(uid);
}

/**
 * As root over a socket owned by another OS user (the server's), the identity to connect as:
 * that user, when no user was given or the one given is that user's role.
 */
export function peerIdentity(t: ResolvedTarget): PeerIdentity | undefined {
  if (process.geteuid?.() !== 0 || !t.params.host.startsWith('/')) return undefined;
  let st: Stats;
  try {
    st = statSync(join(t.params.host, `.s.PGSQL.${t.params.port}`));
  } catch {
    return undefined;
  }
  if (st.uid === 0) return undefined;
  const name = osUserName(st.uid);
  if (!t.defaulted.has('user') && t.params.user !== name) return undefined;
  return { uid: st.uid, gid: st.gid, name };
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** libpq's sslmode as node-postgres options (it has no "prefer": that connects without SSL). */
function sslOptions(p: ResolvedTarget['params']): pg.ClientConfig['ssl'] {
  const mode = p.sslmode ?? 'prefer';
  if (p.host.startsWith('/') || mode === 'disable' || mode === 'allow' || mode === 'prefer') return false;
  const dir = join(homedir(), '.postgresql');
  const ca = readIfExists(p.sslrootcert ?? join(dir, 'root.crt'));
  const cert = readIfExists(p.sslcert ?? join(dir, 'postgresql.crt'));
  const key = readIfExists(p.sslkey ?? join(dir, 'postgresql.key'));
  const files = { ...(ca ? { ca } : {}), ...(cert && key ? { cert, key } : {}) };
  if (mode === 'require') return { rejectUnauthorized: false, ...files };
  if (mode === 'verify-ca') return { rejectUnauthorized: true, checkServerIdentity: () => undefined, ...files };
  return { rejectUnauthorized: true, ...files };
}

/** The node-postgres configuration for a resolved target. */
export function configFor(t: ResolvedTarget, relay = peerIdentity(t)): pg.ClientConfig {
  const p = t.params;
  const user = relay && t.defaulted.has('user') ? relay.name : p.user;
  const database = relay && t.defaulted.has('dbname') ? user : p.dbname;
  const timeout = Number(p.connect_timeout ?? 0);
  return {
    host: p.hostaddr ?? p.host,
    port: Number(p.port),
    user,
    database,
    // Without one, a function answering "none": node-postgres would otherwise look in PGPASSWORD and
    // ~/.pgpass itself, where libpq's rules (PGPASSFILE, the file's mode) have already said no.
    password: p.password ?? ((() => undefined) as unknown as () => string),
    application_name: p.application_name ?? p.fallback_application_name ?? 'pgharden',
    ssl: sslOptions(p),
    ...(p.options ? { options: p.options } : {}),
    // libpq: a timeout below 2 s is taken as 2 s; 0 or none waits indefinitely.
    ...(timeout > 0 ? { connectionTimeoutMillis: Math.max(timeout, 2) * 1000 } : {}),
    ...(relay ? { stream: () => new PeerRelay(relay) } : {}),
  };
}

/** The pg client configuration libpq would use for these options. */
export function clientConfig(opts: ConnectOptions = {}): pg.ClientConfig {
  return configFor(resolveTarget(opts));
}

/** Where a target points, without any password, in libpq's keyword/value form. */
export function describeTarget(t: ResolvedTarget, relay = peerIdentity(t)): string {
  const c = configFor(t, relay);
  const where = formatConninfo({
    host: String(c.host),
    port: String(c.port),
    user: String(c.user),
    dbname: String(c.database),
  });
  const notes = [
    t.cluster ? `cluster ${t.cluster.id}` : '',
    relay ? `as OS user ${relay.name} over the socket` : '',
  ].filter(Boolean);
  return notes.length ? `${where} (${notes.join(', ')})` : where;
}

/**
 * As root with the server down, the socket is missing, so peerIdentity() cannot see whose it is:
 * the socket directory's owner (the server's OS user) is who pgharden would connect as.
 */
function downIdentity(t: ResolvedTarget): PeerIdentity | undefined {
  if (process.geteuid?.() !== 0 || !t.params.host.startsWith('/')) return undefined;
  const st = statSync(t.params.host, { throwIfNoEntry: false });
  if (!st || st.uid === 0) return undefined;
  const name = osUserName(st.uid);
  if (!t.defaulted.has('user') && t.params.user !== name) return undefined;
  return { uid: st.uid, gid: st.gid, name };
}

/** Whether a connection error means nothing listens there: the server is down (or elsewhere). */
export const serverDown = (code: string | undefined) => code === 'ENOENT' || code === 'ECONNREFUSED';

/** The command that starts the server: pg_ctlcluster for a Debian cluster, pg_ctl otherwise. */
export function startCommand(t: ResolvedTarget): string {
  return t.cluster ? `pg_ctlcluster ${t.cluster.version} ${t.cluster.name} start` : 'pg_ctl -D DATA_DIRECTORY start';
}

/** The command that starts a server known by its files: pg_ctlcluster for Debian's layout, else pg_ctl. */
export function startCommandFor(configFile: string | undefined, dataDirectory: string): string {
  const debian = configFile ? /^\/etc\/postgresql\/([^/]+)\/([^/]+)\/postgresql\.conf$/.exec(configFile) : null;
  return debian ? `pg_ctlcluster ${debian[1]} ${debian[2]} start` : `pg_ctl -D ${dataDirectory} start`;
}

/** Connects once and ends: a server that cannot be reached fails here with connect()'s message, before any work. */
export async function ensureReachable(opts: ConnectOptions): Promise<void> {
  const c = await connect(opts);
  await c.end().catch(() => undefined);
}

/** The next step for a failed connection, from what failed. */
function nextStep(err: { code?: string; message: string }, t: ResolvedTarget, relay: PeerIdentity | undefined): string {
  const flags = t.cluster
    ? 'check the cluster name (pg_lsclusters)'
    : 'pass --cluster VERSION/NAME (see pg_lsclusters) or --dsn "host=/var/run/postgresql port=PORT"';
  const local = t.params.host.startsWith('/');
  if (serverDown(err.code)) {
    return t.cluster
      ? `start it: ${startCommand(t)}`
      : `start it as the server's OS user (${startCommand(t)}), or if it runs elsewhere ${flags}`;
  }
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN')
    return `check the host name "${t.params.host}", or ${flags}`;
  if (err.code === 'EACCES' || err.code === 'EPERM')
    return `this OS user may not open ${t.params.host}; run as root (sudo pgharden ...) or as the server's OS user`;
  if (
    /peer authentication failed|Peer authentication/i.test(err.message) ||
    (local && err.code === '28000' && !relay)
  ) {
    return "peer authentication maps your OS user to the role: run as root (sudo pgharden ...) or as the server's OS user (sudo -u postgres pgharden ...)";
  }
  if (err.code === '28P01' || /password/i.test(err.message)) {
    return "give the password in ~/.pgpass (mode 0600) or PGPASSWORD, or connect over the local socket as the server's OS user (sudo pgharden ...)";
  }
  if (err.code === '3D000') return 'name an existing database (dbname=postgres in --dsn, or PGDATABASE)';
  if (err.code === '28000')
    return "the server has no pg_hba.conf rule admitting this connection: connect over the local socket as the server's OS user (sudo pgharden ...)";
  return flags;
}

/** Connects and returns the client; the caller ends it. Errors name the target and the next step. */
export async function connect(opts: ConnectOptions = {}): Promise<pg.Client> {
  const t = resolveTarget(opts);
  const relay = peerIdentity(t);
  const client = keepErrors(new pg.Client(configFor(t, relay)));
  try {
    await client.connect();
  } catch (err) {
    const e = err as { code?: string; message: string };
    // node-postgres' words for libpq's "fe_sendauth: no password supplied".
    if (/client password must be a string/.test(e.message)) e.message = 'fe_sendauth: no password supplied';
    const down = serverDown(e.code);
    const where = describeTarget(t, relay ?? (down ? downIdentity(t) : undefined));
    throw new ConnectionError(
      down
        ? `Cannot connect to PostgreSQL at ${where}: the server is not running there (${serverMessage(err)})`
        : `Cannot connect to PostgreSQL at ${where}: ${serverMessage(err)}`,
      nextStep(e, t, relay),
      e.code,
    );
  }
  return client;
}

/** Runs `fn` with a connected client and always ends it. */
export async function withClient<T>(opts: ConnectOptions, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(opts);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * What a saved plan records of how its cluster was reached: what the user set (connection string,
 * service, environment), never a password and never a built-in default, so a later `sudo pgharden
 * review` in another shell reaches the same server the same way.
 */
export function recordTarget(opts: ConnectOptions): { dsn?: string; cluster?: string } {
  const t = resolveTarget(opts);
  const { password: _p, passfile: _f, ...rest } = t.params;
  for (const k of t.defaulted) delete (rest as Record<string, string>)[k];
  // A cluster's host and port are kept too: the environment of a later shell (PGPORT, which the
  // psql wrapper lets win over a cluster) must not send the plan elsewhere.
  const dsn = formatConninfo(rest);
  return { ...(dsn ? { dsn } : {}), ...(t.cluster ? { cluster: t.cluster.id } : {}) };
}
