/**
 * Dumps that can be proven: each database is dumped with `pg_dump -Fc --snapshot=ID` from a
 * snapshot pgharden exported and holds open, and the exact row count of every table and the
 * count of schema objects are taken in that same snapshot, so the restore drill compares the
 * restored data with the data as dumped, whatever was written meanwhile. Dumps are streamed to
 * files pgharden creates (0600), hashed as they are written.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import type { ClientTools } from '../cluster/client-tools.js';

/** SQL over one session per database (the admin path, or a plain connection for `pgharden backup`). */
export interface SqlSessions {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], database?: string): Promise<T[]>;
  release(database: string): Promise<void>;
}

/** How the client tools connect and as whom they run. */
export interface ToolRunner {
  /** Connection arguments for one database (`null`: pg_dumpall's own choice). */
  args(database: string | null): string[];
  uid?: number;
  gid?: number;
  env: NodeJS.ProcessEnv;
}

export interface TableCount {
  table: string;
  rows: number;
}

export interface DumpedDatabase {
  database: string;
  file: string;
  sha256: string;
  bytes: number;
  counts: TableCount[];
  objects: number;
}

/** Exact rows of every user table, in one statement (so in one snapshot). */
export const COUNTS_SQL = `SELECT format('%I.%I', table_schema, table_name) AS "table",
  (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text::bigint AS rows
  FROM information_schema.tables
  WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
  ORDER BY 1`;

/** Relations, functions and schemas outside the system schemas. */
export const OBJECTS_SQL = `SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)')
  + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))
  + (SELECT count(*) FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_(toast|temp)') AS n`;

export async function countsOf(s: SqlSessions, database: string): Promise<{ counts: TableCount[]; objects: number }> {
  const counts = (await s.query<{ table: string; rows: string }>(COUNTS_SQL, [], database)).map((r) => ({ table: r.table, rows: Number(r.rows) }));
  const [o] = await s.query<{ n: string }>(OBJECTS_SQL, [], database);
  return { counts, objects: Number(o!.n) };
}

/** Runs a client tool; stdout goes to `out` (hashed), stdin comes from `input`. */
export function runTool(cmd: string, args: string[], r: ToolRunner, io: { out?: string; input?: NodeJS.ReadableStream }): Promise<{ sha256: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: r.env, stdio: ['pipe', 'pipe', 'pipe'], ...(r.uid === undefined ? {} : { uid: r.uid, gid: r.gid! }) });
    const hash = createHash('sha256');
    let bytes = 0;
    let stderr = '';
    const fd = io.out ? openSync(io.out, 'w', 0o600) : null;
    child.stdout.on('data', (d: Buffer) => {
      hash.update(d);
      bytes += d.length;
      if (fd !== null) writeSync(fd, d);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    if (io.input) io.input.pipe(child.stdin);
    else child.stdin.end();
    child.on('error', reject);
    child.on('close', (code) => {
      if (fd !== null) {
        fsyncSync(fd);
        closeSync(fd);
      }
      if (code === 0) resolve({ sha256: hash.digest('hex'), bytes });
      else reject(new Error(`${cmd.split('/').at(-1)} ${args.filter((a) => !a.includes('password')).join(' ')} failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

/** Dumps one database from a snapshot held open while its counts are taken. */
export async function dumpDatabase(tools: ClientTools, s: SqlSessions, r: ToolRunner, database: string, file: string): Promise<DumpedDatabase> {
  await s.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY', [], database);
  try {
    const [{ id }] = (await s.query<{ id: string }>('SELECT pg_export_snapshot() AS id', [], database)) as [{ id: string }];
    const { counts, objects } = await countsOf(s, database);
    const out = await runTool(tools.pgDump, ['--format=custom', `--snapshot=${id}`, ...r.args(database)], r, { out: file });
    return { database, file, ...out, counts, objects };
  } finally {
    await s.query('COMMIT', [], database).catch(() => undefined);
  }
}

/** Roles and memberships (`pg_dumpall --globals-only`): also the safety net for the roles stage. */
export function dumpGlobals(tools: ClientTools, r: ToolRunner, file: string): Promise<{ sha256: string; bytes: number }> {
  return runTool(tools.pgDumpall, ['--globals-only', ...r.args(null)], r, { out: file });
}
