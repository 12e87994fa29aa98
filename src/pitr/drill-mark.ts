/**
 * The point `pitr drill --latest` recovers to, and the live counts that must come back at exactly
 * that point, however busy the server is.
 *
 * A restore point is a position in the cluster's one WAL stream, while a count is taken in a
 * snapshot of one database. The two agree only if no write to a counted table can commit between
 * the snapshot and the restore point: a commit before the snapshot is in both, a commit after the
 * restore point is in neither, and one in between would be in the recovered copy but not in the
 * count (a false alarm), or with the other order, in the count but not in the copy (a loss hidden
 * as "writes are racing"). So, for one moment, writes to the counted tables are held off:
 *
 * 1. in every database, a REPEATABLE READ transaction locks every permanent table IN SHARE MODE
 *    NOWAIT (SHARE admits readers and refuses writers; a writer that committed has left the proc
 *    array before it released its lock, so its rows are visible to the snapshot taken next);
 * 2. once all databases are locked, each transaction takes its snapshot and exports it, and checks
 *    that its table list is still the one it locked (a table created meanwhile starts over);
 * 3. a second session per database imports that snapshot, and the restore point is written while
 *    every lock is held;
 * 4. the locks are released (writers waited only this long), the restore point's WAL segment is
 *    switched out for archiving, and the counts are taken at leisure in the imported snapshots.
 *
 * NOWAIT: the drill never waits for a lock, so it can never be part of a deadlock with the
 * application (PostgreSQL would break one by cancelling a transaction, maybe the application's);
 * when a table is busy it lets go of everything and tries again a moment later.
 */
import { randomBytes } from 'node:crypto';
import type { SqlSessions, TableCount } from '../backup/dump.js';
import { RefusedError } from '../core/errors.js';

/** Exact rows of every permanent table (unlogged tables are not in the WAL, so not in a recovery), in one statement. */
export const PITR_COUNTS_SQL = `SELECT format('%I.%I', n.nspname, c.relname) AS "table",
  (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM ONLY %I.%I', n.nspname, c.relname), false, true, '')))[1]::text::bigint AS rows
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND c.relpersistence = 'p' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
  ORDER BY 1`;

const TABLES_SQL = `SELECT format('%I.%I', n.nspname, c.relname) AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND c.relpersistence = 'p' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
  ORDER BY 1`;

/** Every permanent table's exact row count in one database, in one statement's snapshot. */
export async function countTables(s: SqlSessions, database: string): Promise<TableCount[]> {
  return (await s.query<{ table: string; rows: string }>(PITR_COUNTS_SQL, [], database)).map((r) => ({
    table: r.table,
    rows: Number(r.rows),
  }));
}

/** The restore point and the live counts as of it. */
export interface MarkedPoint {
  name: string;
  lsn: string;
  /** The WAL segment holding the restore point (it must reach the repository). */
  walFile: string;
  at: Date;
  counts: { database: string; counts: TableCount[] }[];
  /** How long writers were held off, in milliseconds. */
  lockMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** SQLSTATE 55P03 lock_not_available: a NOWAIT lock found the table busy. */
const busy = (err: unknown) => (err as { code?: string }).code === '55P03';

/** One attempt at step 1-3; null when a table was busy or the table list moved. */
async function tryMark(
  lockers: SqlSessions,
  counters: SqlSessions,
  databases: readonly string[],
  name: string,
): Promise<{ lsn: string; walFile: string; at: Date; started: number } | null> {
  const tables = new Map<string, string[]>();
  for (const db of databases)
    tables.set(
      db,
      (await lockers.query<{ t: string }>(TABLES_SQL, [], db)).map((r) => r.t),
    );
  const open: string[] = [];
  const started = Date.now();
  try {
    for (const db of databases) {
      await lockers.query('BEGIN ISOLATION LEVEL REPEATABLE READ', [], db);
      open.push(db);
      const list = tables.get(db)!;
      if (list.length) await lockers.query(`LOCK TABLE ${list.join(', ')} IN SHARE MODE NOWAIT`, [], db);
    }
    const snapshots = new Map<string, string>();
    for (const db of databases) {
      const [{ id }] = (await lockers.query<{ id: string }>('SELECT pg_export_snapshot() AS id', [], db)) as [
        { id: string },
      ];
      const now = (await lockers.query<{ t: string }>(TABLES_SQL, [], db)).map((r) => r.t);
      if (now.join('\n') !== tables.get(db)!.join('\n')) return null;
      snapshots.set(db, id);
    }
    for (const db of databases) {
      await counters.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY', [], db);
      await counters.query(`SET TRANSACTION SNAPSHOT '${snapshots.get(db)!}'`, [], db);
    }
    const [p] = await lockers.query<{ lsn: string; f: string; at: Date }>(
      'SELECT p::text AS lsn, pg_walfile_name(p) AS f, clock_timestamp() AS at FROM pg_create_restore_point($1) p',
      [name],
      databases[0]!,
    );
    return { lsn: p!.lsn, walFile: p!.f, at: p!.at, started };
  } catch (err) {
    if (!busy(err)) throw err;
    return null;
  } finally {
    for (const db of open) await lockers.query('COMMIT', [], db).catch(() => undefined);
  }
}

/** Marks the restore point and counts every table as of it (steps 1-4 above); `databases` must be non-empty. */
export async function markPoint(
  lockers: SqlSessions,
  counters: SqlSessions,
  databases: readonly string[],
  o: { attempts?: number } = {},
): Promise<MarkedPoint> {
  const name = `pgharden-drill-${new Date().toISOString()}-${randomBytes(4).toString('hex')}`;
  const attempts = o.attempts ?? 100;
  for (let i = 0; i < attempts; i++) {
    const p = await tryMark(lockers, counters, databases, name);
    if (!p) {
      for (const db of databases) await counters.query('ROLLBACK', [], db).catch(() => undefined);
      await sleep(20 + Math.random() * 80 * Math.min(i + 1, 10));
      continue;
    }
    // The locks went with the COMMITs in tryMark's finally: writers waited from the first LOCK to here.
    const lockMs = Date.now() - p.started;
    const counts: MarkedPoint['counts'] = [];
    try {
      for (const db of databases) counts.push({ database: db, counts: await countTables(counters, db) });
    } finally {
      for (const db of databases) await counters.query('COMMIT', [], db).catch(() => undefined);
    }
    return { name, lsn: p.lsn, walFile: p.walFile, at: p.at, counts, lockMs };
  }
  throw new RefusedError(
    `Could not hold off writes for a moment: a table stayed locked by another session through ${attempts} attempts`,
    'find the long transaction in pg_stat_activity (state "idle in transaction", or a long VACUUM), then run the drill again',
  );
}
