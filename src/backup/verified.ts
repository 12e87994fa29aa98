/**
 * A verified backup: the globals, a dump of each database (each from a snapshot whose counts
 * are taken with it), and, with `verify`, the restore drill of each dump. Used by apply's
 * preflight (it stops before any change when the drill fails) and by `pgharden backup`.
 */
import { mkdirSync, truncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { restoreDrill, type DrillResult } from './dump-drill.js';
import type { DrillLedger } from './drill-ledger.js';
import { dumpDatabase, dumpGlobals, type DumpedDatabase, type SqlSessions, type ToolRunner } from './dump.js';
import type { ClientTools } from '../cluster/client-tools.js';

export interface VerifiedBackup {
  tools: { major: number; bindir: string };
  globals: { file: string; sha256: string; bytes: number };
  databases: (DumpedDatabase & { drill?: DrillResult })[];
  /** Every drill matched (true when none was asked for). */
  ok: boolean;
  ms: { dump: number; drill: number };
}

/** Test hooks, to prove a damaged dump or restore is caught. */
export type BackupFault = 'truncate-dump' | 'delete-rows';

const safeName = (db: string) => db.replace(/[^A-Za-z0-9_.-]/g, '_');

export async function verifiedBackup(o: {
  tools: ClientTools;
  sessions: SqlSessions;
  runner: ToolRunner;
  databases: string[];
  dir: string;
  verify: boolean;
  /** Where the drill records its scratch databases before creating them. */
  ledger: DrillLedger;
  fault?: BackupFault;
}): Promise<VerifiedBackup> {
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const t0 = Date.now();
  const globalsFile = join(o.dir, 'globals.sql');
  const globals = { file: globalsFile, ...(await dumpGlobals(o.tools, o.runner, globalsFile)) };
  const databases: VerifiedBackup['databases'] = [];
  for (const [i, db] of o.databases.entries())
    databases.push(
      await dumpDatabase(
        o.tools,
        o.sessions,
        o.runner,
        db,
        join(o.dir, `${String(i + 1).padStart(2, '0')}-${safeName(db)}.dump`),
      ),
    );
  const t1 = Date.now();
  if (o.verify) {
    for (const d of databases) {
      if (o.fault === 'truncate-dump') truncateSync(d.file, Math.floor(statSync(d.file).size / 2));
      const damage =
        o.fault === 'delete-rows' && d.counts.some((c) => c.rows > 0)
          ? async (drill: string) =>
              void (await o.sessions.query(`DELETE FROM ${d.counts.find((c) => c.rows > 0)!.table}`, [], drill))
          : undefined;
      d.drill = await restoreDrill(o.tools, o.sessions, o.runner, o.ledger, d, damage);
    }
  }
  return {
    tools: { major: o.tools.major, bindir: o.tools.bindir },
    globals,
    databases,
    ok: databases.every((d) => d.drill === undefined || d.drill.ok),
    ms: { dump: t1 - t0, drill: Date.now() - t1 },
  };
}

/** The drill as a table: database, table, rows live, rows restored. */
export function drillTable(b: VerifiedBackup): string[][] {
  return [
    ['DATABASE', 'TABLE', 'ROWS LIVE', 'ROWS RESTORED'],
    ...b.databases.flatMap((d) => [
      ...(d.drill?.rows ?? []).map((r) => [
        d.database,
        r.table,
        String(r.live ?? 'missing'),
        String(r.restored ?? 'missing'),
      ]),
      [d.database, '(schema objects)', String(d.objects), String(d.drill?.objects.restored ?? '-')],
    ]),
  ];
}
