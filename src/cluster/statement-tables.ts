/**
 * Which tables one SQL statement reads and which it writes, from PostgreSQL's own grammar
 * (libpg-query): the targets of INSERT, UPDATE, DELETE, MERGE, TRUNCATE and COPY FROM are
 * written; every other relation it names is read. Pure apart from loading the parser.
 */

/** The relations a statement names, by what it does to them (names as written, unqualified). */
export interface StatementTables {
  reads: Set<string>;
  writes: Set<string>;
}

interface RangeVar {
  relname: string;
  schemaname?: string;
}

const WRITE_TARGET: Record<string, string> = {
  InsertStmt: 'relation',
  UpdateStmt: 'relation',
  DeleteStmt: 'relation',
  MergeStmt: 'relation',
};

/** Walks a parse tree, sorting every RangeVar into reads or writes. */
function walk(node: unknown, into: StatementTables, schema: string): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, into, schema);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key === 'RangeVar') {
      const r = value as RangeVar;
      if (!r.schemaname || r.schemaname === schema) into.reads.add(r.relname);
      continue;
    }
    const target = WRITE_TARGET[key];
    const body = value as Record<string, unknown> | null;
    if (target && body?.[target]) {
      const r = body[target] as RangeVar;
      if (!r.schemaname || r.schemaname === schema) into.writes.add(r.relname);
    }
    if (key === 'TruncateStmt')
      for (const rel of ((body?.relations ?? []) as { RangeVar: RangeVar }[]).map((x) => x.RangeVar))
        if (!rel.schemaname || rel.schemaname === schema) into.writes.add(rel.relname);
    if (key === 'CopyStmt' && body?.is_from && body.relation) {
      const r = body.relation as RangeVar;
      if (!r.schemaname || r.schemaname === schema) into.writes.add(r.relname);
    }
    walk(value, into, schema);
  }
}

/**
 * The tables of `schema` that a statement text reads and writes; null when it does not parse
 * (pg_stat_statements shows "<insufficient privilege>" for other users' queries to a non-superuser).
 * A written table is not also listed as read.
 */
export async function statementTables(sql: string, schema = 'public'): Promise<StatementTables | null> {
  const { parse } = await import('libpg-query');
  let tree: unknown;
  try {
    tree = await parse(sql);
  } catch {
    return null;
  }
  const out: StatementTables = { reads: new Set(), writes: new Set() };
  walk(tree, out, schema);
  for (const w of out.writes) out.reads.delete(w);
  return out;
}
