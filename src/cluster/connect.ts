import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Where pgharden connects: `--dsn`, else the libpq environment, as libpq would resolve it. */
export interface ConnectOptions {
  dsn?: string;
  env?: NodeJS.ProcessEnv;
  /** Another database on the same server than the DSN or environment names. */
  database?: string;
}

/** The DSN with its database replaced (node-postgres lets a connection string override `database`). */
function withDatabase(dsn: string, database: string): string {
  const u = new URL(dsn);
  u.pathname = `/${encodeURIComponent(database)}`;
  u.searchParams.delete('dbname');
  return u.toString();
}

/** libpq's default socket directories on Debian/Ubuntu and upstream builds. */
const SOCKET_DIRS = ['/var/run/postgresql', '/tmp'];

/** Reads one section of a pg_service.conf file (INI: `[name]` then `key=value`). */
export function serviceSection(text: string, name: string): Record<string, string> | undefined {
  let current: string | undefined;
  let found: Record<string, string> | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = section[1];
      if (current === name) found ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (current === name && found && eq > 0) found[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return found;
}

function serviceParams(env: NodeJS.ProcessEnv): Record<string, string> {
  const name = env.PGSERVICE;
  if (!name) return {};
  const files = [
    env.PGSERVICEFILE ?? join(homedir(), '.pg_service.conf'),
    join(env.PGSYSCONFDIR ?? '/etc/postgresql-common', 'pg_service.conf'),
  ];
  for (const file of files) {
    if (!existsSync(file)) continue;
    const section = serviceSection(readFileSync(file, 'utf8'), name);
    if (section) return section;
  }
  throw new Error(`Service "${name}" (PGSERVICE) is not defined in ${files.join(' or ')}. Define it there, or pass --dsn.`);
}

/** The pg client configuration libpq would use for these options. */
export function clientConfig(opts: ConnectOptions = {}): pg.ClientConfig {
  const env = opts.env ?? process.env;
  if (opts.dsn) return { connectionString: opts.database ? withDatabase(opts.dsn, opts.database) : opts.dsn, application_name: 'pgharden' };
  const svc = serviceParams(env);
  const host = env.PGHOST ?? svc.host ?? SOCKET_DIRS.find((d) => existsSync(d)) ?? 'localhost';
  const user = env.PGUSER ?? svc.user ?? userInfo().username;
  const config: pg.ClientConfig = {
    host,
    port: Number(env.PGPORT ?? svc.port ?? 5432),
    user,
    database: opts.database ?? env.PGDATABASE ?? svc.dbname ?? user,
    application_name: 'pgharden',
  };
  const password = env.PGPASSWORD ?? svc.password;
  if (password !== undefined) config.password = password;
  return config;
}

/** A human description of where a config points, without any password. */
export function describeTarget(config: pg.ClientConfig): string {
  if (config.connectionString) {
    try {
      const u = new URL(config.connectionString);
      u.password = '';
      return u.toString();
    } catch {
      return 'the --dsn connection';
    }
  }
  return `host=${config.host} port=${config.port} user=${config.user} dbname=${config.database}`;
}

/** Connects and returns the client; the caller ends it. Errors name the target and the next step. */
export async function connect(opts: ConnectOptions = {}): Promise<pg.Client> {
  const config = clientConfig(opts);
  const client = new pg.Client(config);
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `Cannot connect to PostgreSQL at ${describeTarget(config)}: ${(err as Error).message}. ` +
        'Pass --dsn postgres://USER@HOST:PORT/DB, or set PGHOST/PGPORT/PGUSER/PGDATABASE.',
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
