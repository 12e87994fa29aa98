/**
 * Scratch PostgreSQL clusters: `initdb` + `pg_ctl` in a temp directory, on a free port,
 * listening on 127.0.0.1 only, with the socket in the temp directory. When pgharden runs as
 * root, the server runs as the unprivileged `postgres` OS user (PostgreSQL refuses root).
 * Used by the tests, the benchmarks and `pgharden demo`; every cluster is stopped and removed
 * by `stop()`, on process exit if the caller dies first, and on SIGINT, SIGTERM and SIGHUP, after
 * which the process exits with 128 + the signal's number (as a shell reports a death by signal).
 */
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { PgInstall } from '../cluster/install.js';
import { interruption } from '../process/groups.js';
import { run } from '../process/run.js';
import { runSync } from '../process/run-sync.js';
import { initDataDir } from './template.js';

export interface ClusterOptions {
  /** Start with ssl=on and a self-signed certificate made now. */
  ssl?: boolean;
  /** Extra `-c name=value` settings on the server's command line. */
  settings?: Record<string, string>;
  /** Text of postgresql.conf to write before start (default: initdb's). */
  postgresqlConf?: string;
  /** Lines appended to initdb's postgresql.conf before start. */
  appendConf?: string;
  /** Text of pg_hba.conf to write before start (default: initdb's, trust on loopback). */
  hbaConf?: string;
}

export interface Cluster {
  install: PgInstall;
  major: number;
  host: '127.0.0.1';
  port: number;
  socketDir: string;
  dataDir: string;
  hbaFile: string;
  identFile: string;
  confFile: string;
  logFile: string;
  /** OS uid/gid the server runs as (the current process' when not root). */
  uid: number;
  gid: number;
  superuser: 'postgres';
  /** A new client over TCP 127.0.0.1 (trust from initdb); the caller ends it. */
  connect(opts?: { user?: string; database?: string; password?: string }): Promise<pg.Client>;
  /** Runs SQL on a shared superuser connection. */
  query<T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Writes a file owned by the server's OS user (mode 0600 by default). */
  writeFile(path: string, content: string | Buffer, mode?: number): void;
  /** `pg_reload_conf()`, then waits until the postmaster has re-read its files. */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

const live = new Set<{ pgCtl: string; dataDir: string; uid: number; gid: number; root: string }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) stopSync(c);
  });
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Ctrl-C, a kill or a closed terminal: every live cluster stopped and removed, then exit 128 + signal. */
function onSignal(signal: NodeJS.Signals): void {
  // A running initdb or pg_ctl is ended first by process/groups.ts (its handler runs in this same
  // tick), so nothing writes into a directory while it is removed.
  setImmediate(async () => {
    await interruption();
    for (const c of live) stopSync(c);
    process.exit(128 + constants.signals[signal]);
  });
}

/** Listens for the signals while any cluster lives; a signal with no listener ends Node at once. */
function listen(on: boolean): void {
  for (const s of SIGNALS) {
    process.off(s, onSignal);
    if (on) process.on(s, onSignal);
  }
}

function stopSync(c: { pgCtl: string; dataDir: string; uid: number; gid: number; root: string }): void {
  try {
    runSync(c.pgCtl, ['stop', '-D', c.dataDir, '-m', 'immediate', '-w'], { uid: c.uid, gid: c.gid, timeoutMs: 30_000 });
  } catch {
    // Not running (a failed start), or already stopped: the directory goes either way.
  }
  rmSync(c.root, { recursive: true, force: true });
  live.delete(c);
  if (live.size === 0) listen(false);
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function serverIdentity(): { uid: number; gid: number } {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) return { uid, gid: process.getgid?.() ?? 0 };
  const passwd = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!passwd)
    throw new Error(
      'Tests run as root but there is no "postgres" OS user to run the server as: create one with "useradd -r postgres".',
    );
  const [, , u, g] = passwd.split(':');
  return { uid: Number(u), gid: Number(g) };
}

/** Runs a server tool as `ids`, in the C locale; `what` names the step in the error. */
async function runAs(cmd: string, args: string[], ids: { uid: number; gid: number }, what: string): Promise<void> {
  try {
    await run(cmd, args, { ...ids, timeoutMs: 120_000, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } });
  } catch (err) {
    // Still the tool's error (exit 4, its stderr tail), now saying which step it was.
    if (err instanceof Error) err.message = `${what} failed: ${err.message}`;
    throw err;
  }
}

async function makeCertificate(dir: string, ids: { uid: number; gid: number }): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'server.crt');
  const key = join(dir, 'server.key');
  await runAs(
    'openssl',
    [
      'req',
      '-new',
      '-x509',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-newkey',
      'rsa:2048',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
    'Making a self-signed certificate',
  );
  chownSync(cert, ids.uid, ids.gid);
  chownSync(key, ids.uid, ids.gid);
  chmodSync(key, 0o600);
  return { cert, key };
}

/** Creates and starts a scratch cluster. Always pair with `stop()` (or use `useCluster`). */
export async function startCluster(install: PgInstall, opts: ClusterOptions = {}): Promise<Cluster> {
  installExitHook();
  const ids = serverIdentity();
  // Listening before the directory exists, and the directory live from its first moment.
  listen(true);
  const root = mkdtempSync(join(tmpdir(), `pgharden-pg${install.major}-`));
  const dataDir = join(root, 'data');
  const pgCtl = join(install.bindir, 'pg_ctl');
  const handle = { pgCtl, dataDir, uid: ids.uid, gid: ids.gid, root };
  live.add(handle);
  try {
    chownSync(root, ids.uid, ids.gid);
    chmodSync(root, 0o700);
    const initdb = (dir: string) =>
      runAs(
        join(install.bindir, 'initdb'),
        ['-D', dir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
        ids,
        'initdb',
      );
    const key = `pg${install.major}-${createHash('sha256').update(install.bindir).digest('hex').slice(0, 12)}`;
    await initDataDir(key, dataDir, {
      initdb,
      runAsServer: (cmd, args) => runAs(cmd, args, ids, 'Copying the template data directory'),
      ...ids,
    });
    const port = await freePort();
    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      port: String(port),
      unix_socket_directories: root,
      fsync: 'off',
      max_connections: '40',
      shared_buffers: '16MB',
      ...opts.settings,
    };
    if (opts.ssl) {
      const { cert, key } = await makeCertificate(root, ids);
      Object.assign(settings, { ssl: 'on', ssl_cert_file: cert, ssl_key_file: key });
    }
    const confFile = join(dataDir, 'postgresql.conf');
    if (opts.postgresqlConf !== undefined) {
      writeFileSync(confFile, opts.postgresqlConf);
      chownSync(confFile, ids.uid, ids.gid);
    }
    if (opts.appendConf !== undefined) writeFileSync(confFile, opts.appendConf, { flag: 'a' });
    if (opts.hbaConf !== undefined) writeFileSync(join(dataDir, 'pg_hba.conf'), opts.hbaConf);
    const logFile = join(root, 'server.log');
    const o = Object.entries(settings)
      .map(([k, v]) => `-c ${k}=${v}`)
      .join(' ');
    await runAs(pgCtl, ['start', '-D', dataDir, '-w', '-t', '60', '-l', logFile, '-o', o], ids, 'Starting PostgreSQL');

    const clientConfig = { host: '127.0.0.1', port, user: 'postgres', database: 'postgres' };
    // Named, so an audit of a scratch cluster can tell pgharden's own session from the consumers'.
    // A restart (pitr enable --restart) ends this session: it is opened again at the next query.
    let broken = false;
    const openAdmin = async () => {
      const c = new pg.Client({ ...clientConfig, application_name: 'pgharden-scratch' });
      c.on('error', () => {
        broken = true;
      });
      await c.connect();
      return c;
    };
    let admin = await openAdmin();

    const cluster: Cluster = {
      install,
      major: install.major,
      host: '127.0.0.1',
      port,
      socketDir: root,
      dataDir,
      hbaFile: join(dataDir, 'pg_hba.conf'),
      identFile: join(dataDir, 'pg_ident.conf'),
      confFile,
      logFile,
      uid: ids.uid,
      gid: ids.gid,
      superuser: 'postgres',
      async connect(o2 = {}) {
        const c = new pg.Client({ ...clientConfig, application_name: 'pgharden-scratch', ...o2 });
        await c.connect();
        return c;
      },
      async query(sql, params) {
        if (broken) {
          await admin.end().catch(() => undefined);
          admin = await openAdmin();
          broken = false;
        }
        const r = await admin.query(sql, params as unknown[] | undefined);
        return r.rows;
      },
      writeFile(path, content, mode = 0o600) {
        writeFileSync(path, content);
        chownSync(path, ids.uid, ids.gid);
        chmodSync(path, mode);
      },
      async reload() {
        const [before] = await cluster.query<{ t: string }>('SELECT pg_conf_load_time()::text AS t');
        await cluster.query('SELECT pg_reload_conf()');
        for (let i = 0; i < 200; i++) {
          // A new backend sees the postmaster's reloaded state; the admin session catches up at its next
          // query. When the new rules refuse a new admin login (a hardened layout), ask the admin session.
          const c = await cluster.connect().catch(() => null);
          const [now] = c
            ? (await c.query<{ t: string }>('SELECT pg_conf_load_time()::text AS t')).rows
            : await cluster.query<{ t: string }>('SELECT pg_conf_load_time()::text AS t');
          await c?.end();
          if (now && now.t !== before?.t) return;
          await new Promise((r) => setTimeout(r, 25));
        }
        throw new Error(`PostgreSQL ${install.major} did not reload its configuration within 5 s (see ${logFile})`);
      },
      async stop() {
        await admin.end().catch(() => undefined);
        stopSync(handle);
      },
    };
    return cluster;
  } catch (err) {
    stopSync(handle);
    throw err;
  }
}
