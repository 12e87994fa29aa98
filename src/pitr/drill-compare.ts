/**
 * What a point-in-time drill restored, table by table beside the live counts. `--latest` compares
 * exactly (the live counts are as of the restore point, drill-mark.ts); `--to TIME` shows both
 * sides for the DBA recovering from an accident, where differences are the point. Either way, a
 * drill that brought back no table or no row while the live server has some fails: a restore that
 * "passes" with nothing in it is the hollow gate this check exists to refuse.
 */
import type { TableCount } from '../backup/dump.js';
import type { DrillRow } from '../backup/dump-drill.js';

/** One database's counts: live, and in the recovered copy (null: the database is not there). */
export interface DatabaseCounts {
  database: string;
  live: TableCount[];
  restored: TableCount[] | null;
}

/** One database's side-by-side rows. */
export interface DatabaseRows {
  database: string;
  rows: DrillRow[];
}

/** The comparison: the table, what fails the drill, and what is only worth saying. */
export interface Comparison {
  databases: DatabaseRows[];
  problems: string[];
  notes: string[];
}

function sideBySide(d: DatabaseCounts): DrillRow[] {
  const live = new Map(d.live.map((c) => [c.table, c.rows]));
  const back = new Map((d.restored ?? []).map((c) => [c.table, c.rows]));
  return [...new Set([...live.keys(), ...back.keys()])]
    .sort()
    .map((t) => ({ table: t, live: live.get(t) ?? null, restored: back.get(t) ?? null }));
}

const sum = (xs: readonly TableCount[]) => xs.reduce((n, c) => n + c.rows, 0);

/** Compares counts; `exact` makes every live table's difference a failure. */
export function compareDrill(counts: readonly DatabaseCounts[], exact: boolean): Comparison {
  const problems: string[] = [];
  const notes: string[] = [];
  const databases = counts.map((d) => ({ database: d.database, rows: sideBySide(d) }));
  for (const d of counts) {
    if (d.restored === null) {
      (exact ? problems : notes).push(`database ${d.database} is not in the recovered copy`);
      continue;
    }
    for (const r of databases.find((x) => x.database === d.database)!.rows) {
      if (r.live === null) notes.push(`${d.database} ${r.table}: only in the recovered copy (${r.restored} rows)`);
      else if (exact && r.live !== r.restored)
        problems.push(
          `${d.database} ${r.table}: ${r.live} rows live at the restore point, ${r.restored ?? 'missing'} recovered`,
        );
    }
  }
  const liveRows = counts.reduce((n, d) => n + sum(d.live), 0);
  const liveTables = counts.reduce((n, d) => n + d.live.length, 0);
  const backRows = counts.reduce((n, d) => n + sum(d.restored ?? []), 0);
  const backTables = counts.reduce((n, d) => n + (d.restored?.length ?? 0), 0);
  if ((liveTables > 0 && backTables === 0) || (liveRows > 0 && backRows === 0))
    problems.push(
      `the recovered copy has ${backTables} tables and ${backRows} rows while the live server has ${liveTables} tables and ${liveRows} rows: a restore that brings back nothing proves nothing`,
    );
  return { databases, problems, notes };
}
