/**
 * The drill's scratch server: a directory of its own (recorded in the drill ledger before anything
 * is restored into it), the restored data directory inside it, and a postmaster that listens on no
 * TCP address (`listen_addresses = ''`), only on a socket in that directory, with archiving off, so
 * the copy can never push WAL into the live repository nor be reached from the network. It is
 * stopped and removed in every case: on return, on a thrown error, on SIGINT/SIGTERM/SIGHUP and at
 * exit; a run killed outright leaves its directory in the ledger and the next drill removes it.
 */
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { DrillLedger } from '../backup/drill-ledger.js';
import { InputError } from '../core/errors.js';
import { interruption } from '../process/groups.js';
import { run } from '../process/run.js';
import { runSync } from '../process/run-sync.js';
import type { ServerOsUser } from './pgbackrest.js';

/** The name every scratch directory starts with: only such directories are ever removed from the ledger. */
export const SCRATCH_PREFIX = 'pgharden-pitr-drill-';

/** A scratch directory and, once started, its server. */
export interface ScratchServer {
  dir: string;
  dataDir: string;
  logFile: string;
  port: number;
  /** Starts the server on the restored data directory with the drill's settings (plus `settings`). */
  start(settings: Record<string, string>): Promise<void>;
  /** Waits until recovery has ended and the server accepts `role`; throws when it stopped instead. */
  promoted(role: string, timeoutMs: number): Promise<void>;
  /** A client of one database as `role`, over the socket in the scratch directory. */
  client(database: string, role: string): pg.ClientConfig;
  /** Stops the server (immediate) and removes the directory; safe to call twice. */
  remove(): void;
}

/** Stops a server left in `dir` (if any) and removes `dir`, when its name is the drill's. */
export function removeScratch(dir: string, pgCtl: string | undefined, user: ServerOsUser): void {
  if (!dir.split('/').at(-1)?.startsWith(SCRATCH_PREFIX)) return;
  const data = join(dir, 'data');
  if (pgCtl && existsSync(join(data, 'postmaster.pid'))) {
    try {
      runSync(pgCtl, ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '30'], { ...user, timeoutMs: 40_000 });
    } catch {
      // Not running any more: the directory goes either way.
    }
  }
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** A value in postgresql.conf's quoting. */
const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** Makes the scratch directory under `parent`, recorded in `ledger` first thing. */
export function makeScratch(
  parent: string,
  pgCtl: string,
  user: ServerOsUser,
  port: number,
  ledger: DrillLedger,
): ScratchServer {
  // The paths go through pg_ctl's shell in single quotes, which cannot hold one.
  if (parent.includes("'"))
    throw new InputError(
      `The scratch directory "${parent}" has a single quote in its path`,
      'choose another --scratch-dir',
    );
  let dir = '';
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    for (const s of SIGNALS) process.off(s, onSignal);
    process.off('exit', remove);
    if (!dir) return;
    removeScratch(dir, pgCtl, user);
    ledger.dropped(dir);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    // A running pgbackrest or pg_ctl is ended first by process/groups.ts (its handler runs after
    // this one, in the same tick), so nothing writes into the directory while it is removed.
    setImmediate(async () => {
      await interruption();
      remove();
      // Die of the signal as without these handlers, unless a front end listens for it and decides.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  };
  // Listening before the directory exists: a signal with no listener ends Node at once, even
  // between two statements, and would leave the directory behind.
  for (const s of SIGNALS) process.on(s, onSignal);
  process.on('exit', remove);
  dir = mkdtempSync(join(parent, SCRATCH_PREFIX));
  ledger.creating(dir);
  chownSync(dir, user.uid, user.gid);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const own = (file: string, text: string) => {
    writeFileSync(file, text, { mode: 0o600 });
    chownSync(file, user.uid, user.gid);
  };
  return {
    dir,
    dataDir,
    logFile,
    port,
    async start(settings) {
      // Only the socket in the 0700 scratch directory reaches this server: trust there admits
      // the server's OS user and root, nobody else.
      own(join(dir, 'pg_hba.conf'), 'local all all trust\n');
      own(join(dir, 'pg_ident.conf'), '');
      // The live postgresql.conf is not read (a Debian data directory has none, and its ports,
      // paths and archiving are the live server's); postgresql.auto.conf still is, so what must
      // hold is also given on the command line, which wins over both files.
      const fixed: Record<string, string> = {
        config_file: join(dir, 'drill.conf'),
        hba_file: join(dir, 'pg_hba.conf'),
        ident_file: join(dir, 'pg_ident.conf'),
        listen_addresses: '',
        port: String(port),
        unix_socket_directories: dir,
        archive_mode: 'off',
        hot_standby: 'off',
      };
      own(
        fixed.config_file!,
        `${Object.entries({ ...settings, fsync: 'off', autovacuum: 'off' })
          .map(([k, v]) => `${k} = ${quote(v)}`)
          .join('\n')}\n`,
      );
      const o = Object.entries(fixed)
        .map(([k, v]) => `-c ${k}='${v}'`)
        .join(' ');
      // pg_ctl -w returns once the postmaster runs; without hot standby, recovery goes on after that.
      await run(pgCtl, ['start', '-D', dataDir, '-w', '-t', '120', '-l', logFile, '-o', o], {
        ...user,
        timeoutMs: 150_000,
      });
    },
    async promoted(role, timeoutMs) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const c = new pg.Client(this.client('postgres', role));
        try {
          await c.connect();
          const [r] = (await c.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows;
          if (r && !r.r) return;
        } catch {
          // 57P03: not accepting connections yet (recovery goes on) — or the server has stopped.
        } finally {
          await c.end().catch(() => undefined);
        }
        if (!postmasterRuns(dataDir)) throw new Error(`the scratch server stopped during recovery (see ${logFile})`);
        if (Date.now() > end) throw new Error(`recovery did not end within ${Math.round(timeoutMs / 1000)} s`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    client: (database, role) => ({ host: dir, port, user: role, database, application_name: 'pgharden pitr drill' }),
    remove,
  };
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** True while the postmaster of `dataDir` (from postmaster.pid) is alive. */
function postmasterRuns(dataDir: string): boolean {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
