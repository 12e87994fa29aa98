/**
 * The restore drill: "a backup that has never been restored is a hope, not a backup". Each dump
 * is restored with pg_restore into a scratch database of its own (see drill-ledger.ts), the exact
 * row count of every table and the count of schema objects are compared with the live database
 * as of the dump's snapshot, and the scratch database is dropped. The data is compared, not the
 * exit codes.
 */
import { createReadStream } from 'node:fs';
import { createDrill, dropDrill, type DrillLedger } from './drill-ledger.js';
import { countsOf, runTool, type DumpedDatabase, type SqlSessions, type ToolRunner } from './dump.js';
import type { ClientTools } from '../cluster/client-tools.js';

export interface DrillRow {
  table: string;
  live: number | null;
  restored: number | null;
}

export interface DrillResult {
  database: string;
  drillDatabase: string;
  rows: DrillRow[];
  objects: { live: number; restored: number };
  ok: boolean;
  /** Why it failed: a restore error, or the mismatches. */
  problems: string[];
}

/** Compares two count lists table by table; a table missing on one side counts as a mismatch. */
export function compareCounts(
  dump: DumpedDatabase,
  restored: { counts: { table: string; rows: number }[]; objects: number },
): Omit<DrillResult, 'drillDatabase'> {
  const live = new Map(dump.counts.map((c) => [c.table, c.rows]));
  const back = new Map(restored.counts.map((c) => [c.table, c.rows]));
  const tables = [...new Set([...live.keys(), ...back.keys()])].sort();
  const rows = tables.map((t) => ({ table: t, live: live.get(t) ?? null, restored: back.get(t) ?? null }));
  const problems = rows
    .filter((r) => r.live !== r.restored)
    .map((r) => `${dump.database} ${r.table}: ${r.live ?? 'missing'} rows live, ${r.restored ?? 'missing'} restored`);
  if (dump.objects !== restored.objects)
    problems.push(`${dump.database}: ${dump.objects} schema objects live, ${restored.objects} restored`);
  return {
    database: dump.database,
    rows,
    objects: { live: dump.objects, restored: restored.objects },
    ok: problems.length === 0,
    problems,
  };
}

/** Restores one dump into its scratch database, compares, and drops the scratch database. */
export async function restoreDrill(
  tools: ClientTools,
  s: SqlSessions,
  r: ToolRunner,
  ledger: DrillLedger,
  dump: DumpedDatabase,
  damage?: (db: string) => Promise<void>,
): Promise<DrillResult> {
  const drill = await createDrill(s, ledger);
  try {
    try {
      await runTool(tools.pgRestore, ['--exit-on-error', '--no-owner', '--no-privileges', ...r.args(drill)], r, {
        input: createReadStream(dump.file),
      });
    } catch (err) {
      return {
        database: dump.database,
        drillDatabase: drill,
        rows: [],
        objects: { live: dump.objects, restored: 0 },
        ok: false,
        problems: [`restoring ${dump.file} failed: ${(err as Error).message}`],
      };
    }
    // Test hook: lets a test damage the restored copy, to prove the comparison catches it.
    if (damage) await damage(drill);
    return { ...compareCounts(dump, await countsOf(s, drill)), drillDatabase: drill };
  } finally {
    await dropDrill(s, ledger, drill);
  }
}
