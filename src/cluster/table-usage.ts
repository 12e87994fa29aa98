/**
 * Least privilege from evidence: for one login role (a consumer's old user) and the databases it
 * uses, which tables of a schema it needs to write and which can stay read-only, each proposal
 * with where it comes from. Read-only on the server.
 */
import type pg from 'pg';
import { withClient } from '../connect/connect.js';
import type { ConnectOptions } from '../connect/libpq-resolve.js';
import { statementTables } from './statement-tables.js';

/** Where a proposal comes from. */
export type UsageEvidence = 'pg_stat_statements' | 'pg_stat_user_tables' | 'control name' | 'comment' | 'schema';

/** One table's proposed access for a role, and why. */
export interface TableProposal {
  database: string;
  table: string;
  access: 'read-write' | 'read-only';
  evidence: UsageEvidence;
  /** The evidence in words, for the DBA. */
  why: string;
}

/** What the server shows about one table of the schema. */
export interface TableFacts {
  table: string;
  comment: string | null;
  /** pg_stat_user_tables' n_tup_ins + n_tup_upd + n_tup_del: every role's writes, not this one's. */
  rowsWritten: number;
}

/** The tables this user's statements wrote and read, or null when pg_stat_statements is not there. */
export interface StatementEvidence {
  reads: Set<string>;
  writes: Set<string>;
}

// Words that mark a table as a control the application reads and an operator sets.
const CONTROL_WORDS =
  /(^|_)(kill_?switch(es)?|killswitch|flags?|feature_flags?|settings?|config|configuration|toggles?|audit|audit_log|audit_logs)(_|$)/i;
const CONTROL_COMMENT = /\b(kill[ -]?switch|feature flags?|flags?|settings?|config(uration)?|toggles?|audit)\b/i;

/** True when a table's name marks it as a control (a kill switch, flags, settings, config, audit log). */
export const isControlName = (table: string) => CONTROL_WORDS.test(table);

/** The proposals for one database's tables: controls read-only first, then what the role was seen doing. */
export function classifyTables(
  database: string,
  tables: readonly TableFacts[],
  statements: StatementEvidence | null,
  user: string,
): TableProposal[] {
  return tables.map(({ table, comment, rowsWritten }): TableProposal => {
    const at = { database, table };
    if (isControlName(table))
      return { ...at, access: 'read-only', evidence: 'control name', why: `its name marks a control` };
    if (comment && CONTROL_COMMENT.test(comment))
      return { ...at, access: 'read-only', evidence: 'comment', why: `its comment marks a control: "${comment}"` };
    if (statements) {
      if (statements.writes.has(table))
        return { ...at, access: 'read-write', evidence: 'pg_stat_statements', why: `${user}'s statements write it` };
      return {
        ...at,
        access: 'read-only',
        evidence: 'pg_stat_statements',
        why: statements.reads.has(table) ? `${user}'s statements only read it` : `${user}'s statements never touch it`,
      };
    }
    if (rowsWritten > 0)
      return {
        ...at,
        access: 'read-write',
        evidence: 'pg_stat_user_tables',
        why: `${rowsWritten} rows written since the statistics were reset (by any role: not per user)`,
      };
    return {
      ...at,
      access: 'read-only',
      evidence: 'schema',
      why: 'in the schema, never written since the statistics were reset (by any role)',
    };
  });
}

/** The schema's tables with their comments and pg_stat_user_tables' write counts. */
async function schemaTables(c: pg.Client, schema: string): Promise<TableFacts[]> {
  const { rows } = await c.query<{ table: string; comment: string | null; written: string }>(
    `SELECT c.relname AS table, obj_description(c.oid, 'pg_class') AS comment,
            coalesce(s.n_tup_ins + s.n_tup_upd + s.n_tup_del, 0)::text AS written
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY 1`,
    [schema],
  );
  return rows.map((r) => ({ table: r.table, comment: r.comment, rowsWritten: Number(r.written) }));
}

/** What `user` ran in this database per pg_stat_statements; null when the extension is not installed there or shows nothing of `user`. */
async function statementEvidence(c: pg.Client, user: string, schema: string): Promise<StatementEvidence | null> {
  const { rows: ext } = await c.query<{ schema: string }>(
    "SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'",
  );
  if (!ext[0]) return null;
  const view = `${JSON.stringify(ext[0].schema)}.pg_stat_statements`;
  // The view's dbid and userid tell which database and role ran the statement.
  const { rows } = await c.query<{ query: string }>(
    `SELECT query FROM ${view} s JOIN pg_roles r ON r.oid = s.userid
      WHERE r.rolname = $1 AND s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [user],
  );
  if (rows.length === 0) return null;
  const out: StatementEvidence = { reads: new Set(), writes: new Set() };
  for (const { query } of rows) {
    const t = await statementTables(query, schema);
    if (!t) continue;
    for (const w of t.writes) out.writes.add(w);
    for (const r of t.reads) out.reads.add(r);
  }
  return out;
}

/** Per table of `schema` in each database, the proposed access for `user`'s replacement role. */
export async function tableUsage(o: {
  connection: ConnectOptions;
  user: string;
  databases: readonly string[];
  schema?: string;
}): Promise<TableProposal[]> {
  const schema = o.schema ?? 'public';
  const out: TableProposal[] = [];
  for (const database of o.databases) {
    out.push(
      ...(await withClient({ ...o.connection, database }, async (c) =>
        classifyTables(database, await schemaTables(c, schema), await statementEvidence(c, o.user, schema), o.user),
      )),
    );
  }
  return out;
}
