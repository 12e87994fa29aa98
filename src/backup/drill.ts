/**
 * The restore drill: "a backup that has never been restored is a hope, not a backup". Each dump
 * is restored with pg_restore into a scratch database named `<db>__pgharden_drill`, the exact
 * row count of every table and the count of schema objects are compared with the live database
 * as of the dump's snapshot, and the scratch database is dropped. The data is compared, not the
 * exit codes.
 */
import { createReadStream } from 'node:fs';
import { countsOf, runTool, type DumpedDatabase, type SqlSessions, type ToolRunner } from './dump.js';
import type { ClientTools } from './tools.js';

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

const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** The scratch database's name: the original's, cut to fit 63 bytes with the suffix. */
export function drillName(database: string): string {
  const suffix = '__pgharden_drill';
  let base = database;
  while (Buffer.byteLength(base + suffix) > 63) base = base.slice(0, -1);
  return base + suffix;
}

/** Compares two count lists table by table; a table missing on one side counts as a mismatch. */
export function compareCounts(dump: DumpedDatabase, restored: { counts: { table: string; rows: number }[]; objects: number }): Omit<DrillResult, 'drillDatabase'> {
  const live = new Map(dump.counts.map((c) => [c.table, c.rows]));
  const back = new Map(restored.counts.map((c) => [c.table, c.rows]));
  const tables = [...new Set([...live.keys(), ...back.keys()])].sort();
  const rows = tables.map((t) => ({ table: t, live: live.get(t) ?? null, restored: back.get(t) ?? null }));
  const problems = rows.filter((r) => r.live !== r.restored).map((r) => `${dump.database} ${r.table}: ${r.live ?? 'missing'} rows live, ${r.restored ?? 'missing'} restored`);
  if (dump.objects !== restored.objects) problems.push(`${dump.database}: ${dump.objects} schema objects live, ${restored.objects} restored`);
  return { database: dump.database, rows, objects: { live: dump.objects, restored: restored.objects }, ok: problems.length === 0, problems };
}

/** Restores one dump into its scratch database, compares, and drops the scratch database. */
export async function restoreDrill(tools: ClientTools, s: SqlSessions, r: ToolRunner, dump: DumpedDatabase, damage?: (db: string) => Promise<void>): Promise<DrillResult> {
  const drill = drillName(dump.database);
  await s.query(`DROP DATABASE IF EXISTS ${ident(drill)}`);
  await s.query(`CREATE DATABASE ${ident(drill)} TEMPLATE template0`);
  try {
    try {
      await runTool(tools.pgRestore, ['--exit-on-error', '--no-owner', '--no-privileges', ...r.args(drill)], r, { input: createReadStream(dump.file) });
    } catch (err) {
      return { database: dump.database, drillDatabase: drill, rows: [], objects: { live: dump.objects, restored: 0 }, ok: false, problems: [`restoring ${dump.file} failed: ${(err as Error).message}`] };
    }
    // Test hook: lets a test damage the restored copy, to prove the comparison catches it.
    if (damage) await damage(drill);
    return { ...compareCounts(dump, await countsOf(s, drill)), drillDatabase: drill };
  } finally {
    await s.release(drill);
    await s.query(`DROP DATABASE IF EXISTS ${ident(drill)}`);
  }
}
