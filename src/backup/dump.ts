/**
 * Dumps that can be proven: each database is dumped with `pg_dump -Fc --snapshot=ID` from a
 * snapshot pgharden exported and holds open, and the exact row count of every table and the
 * count of schema objects are taken in that same snapshot, so the restore drill compares the
 * restored data with the data as dumped, whatever was written meanwhile. Dumps are streamed to
 * files pgharden creates (0600), hashed as they are written.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ClientTools } from '../cluster/client-tools.js';
import { run } from '../process/run.js';

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
  const counts = (await s.query<{ table: string; rows: string }>(COUNTS_SQL, [], database)).map((r) => ({
    table: r.table,
    rows: Number(r.rows),
  }));
  const [o] = await s.query<{ n: string }>(OBJECTS_SQL, [], database);
  return { counts, objects: Number(o!.n) };
}

/** A dump or restore that runs longer than this is stuck: it is ended, with its children. */
export const TOOL_TIMEOUT_MS = 24 * 3600_000;

/** Runs a client tool; stdout goes to `out` (hashed), stdin comes from `input`. */
export async function runTool(
  cmd: string,
  args: string[],
  r: ToolRunner,
  io: { out?: string; input?: Readable },
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const fd = io.out ? openSync(io.out, 'w', 0o600) : null;
  try {
    await run(cmd, args, {
      timeoutMs: TOOL_TIMEOUT_MS,
      env: r.env,
      uid: r.uid,
      gid: r.gid,
      input: io.input,
      onStdout: (d) => {
        hash.update(d);
        bytes += d.length;
        if (fd !== null) writeSync(fd, d);
      },
      shown: `${cmd.split('/').at(-1)} ${args.filter((a) => !a.includes('password')).join(' ')}`,
    });
    if (fd !== null) fsyncSync(fd);
  } finally {
    if (fd !== null) closeSync(fd);
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Dumps one database from a snapshot held open while its counts are taken. */
export async function dumpDatabase(
  tools: ClientTools,
  s: SqlSessions,
  r: ToolRunner,
  database: string,
  file: string,
): Promise<DumpedDatabase> {
  await s.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY', [], database);
  try {
    const [{ id }] = (await s.query<{ id: string }>('SELECT pg_export_snapshot() AS id', [], database)) as [
      { id: string },
    ];
    const { counts, objects } = await countsOf(s, database);
    const out = await runTool(tools.pgDump, ['--format=custom', `--snapshot=${id}`, ...r.args(database)], r, {
      out: file,
    });
    return { database, file, ...out, counts, objects };
  } finally {
    await s.query('COMMIT', [], database).catch(() => undefined);
  }
}

/** Roles and memberships (`pg_dumpall --globals-only`): also the safety net for the roles stage. */
export function dumpGlobals(
  tools: ClientTools,
  r: ToolRunner,
  file: string,
): Promise<{ sha256: string; bytes: number }> {
  return runTool(tools.pgDumpall, ['--globals-only', ...r.args(null)], r, { out: file });
}
