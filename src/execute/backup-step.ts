/**
 * Apply's verified-backup step: the dumps and the restore drill over the admin path (the tools
 * run as the server's OS user when pgharden is root, connecting to its local socket), each table's
 * comparison reported as a check. A failed drill stops apply before any change (exit 1). The
 * drill's scratch databases are recorded in the apply journal before they are created.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { dropLeftDrills, pendingOf, type DrillEntry, type DrillLedger } from '../backup/drill-ledger.js';
import { verifiedBackup, type BackupFault } from '../backup/verified.js';
import { findClientTools } from '../cluster/client-tools.js';
import type { Action, Plan } from '../plan/plan-types.js';
import type { AdminSession } from './admin.js';
import type { CheckResult } from './run-checks.js';
import type { Journal } from './journal.js';

/** The apply journal as the drill's ledger: apply's next run and rollback drop what a kill left. */
export function journalLedger(journal: Journal): DrillLedger {
  return {
    creating: (name) => void journal.append({ type: 'scratch-database', name, state: 'creating' }),
    dropped: (name) => void journal.append({ type: 'scratch-database', name, state: 'dropped' }),
    pending: () =>
      pendingOf(
        journal.records.flatMap((r): DrillEntry[] =>
          r.type === 'scratch-database' ? [{ name: r.name, state: r.state }] : [],
        ),
      ),
  };
}

/** Drops the scratch databases a killed run recorded in the journal and never dropped. */
export async function dropLeftScratch(
  journal: Journal,
  admin: AdminSession,
  log: (line: string) => void,
): Promise<void> {
  const left = await dropLeftDrills(admin, journalLedger(journal));
  if (left.length) log(`  dropped ${left.join(', ')}, left by a run killed during its restore drill`);
}

/** `fault` (tests only, from the executor's options) spoils the dump or the restore, to prove a failed drill stops apply. */
export async function runVerifiedBackup(
  a: Extract<Action, { do: 'verified-backup' }>,
  plan: Plan,
  dir: string,
  admin: AdminSession,
  journal: Journal,
  fault?: BackupFault,
): Promise<{ results: CheckResult[]; ok: boolean; summary: string }> {
  const tools = findClientTools(plan.server.major);
  const owner = statSync(plan.binding.dataDirectory);
  const conn = ['-h', plan.server.socketDir!, '-p', String(plan.binding.port), '-U', plan.server.adminRole];
  const b = await verifiedBackup({
    tools,
    sessions: admin,
    runner: {
      args: (db) => [...conn, ...(db === null ? ['-l', 'postgres'] : ['-d', db])],
      ...(admin.how === 'child' ? { uid: owner.uid, gid: owner.gid } : {}),
      env: { PATH: process.env.PATH ?? '', LC_ALL: 'C' },
    },
    databases: a.databases,
    dir: join(dir, a.dir),
    verify: true,
    ledger: journalLedger(journal),
    ...(fault ? { fault } : {}),
  });
  const results: CheckResult[] = [
    {
      description: `pg_dumpall --globals-only (pg_dump ${tools.major}): ${b.globals.bytes} bytes`,
      outcome: 'pass',
      got: `sha256 ${b.globals.sha256}`,
    },
  ];
  for (const d of b.databases) {
    results.push({
      description: `pg_dump ${d.database}: ${d.bytes} bytes`,
      outcome: 'pass',
      got: `sha256 ${d.sha256}`,
    });
    if (d.drill && d.drill.rows.length === 0 && !d.drill.ok)
      results.push({
        description: `restore of ${d.database} into ${d.drill.drillDatabase}`,
        outcome: 'fail',
        got: d.drill.problems.join('; '),
      });
    for (const r of d.drill?.rows ?? []) {
      results.push({
        description: `${d.database} ${r.table}: ${r.live ?? 'missing'} rows live (dump snapshot), ${r.restored ?? 'missing'} restored`,
        outcome: r.live === r.restored ? 'pass' : 'fail',
        got: `${r.restored ?? 'missing'} restored`,
      });
    }
    if (d.drill)
      results.push({
        description: `${d.database} schema objects: ${d.objects} live, ${d.drill.objects.restored} restored`,
        outcome: d.objects === d.drill.objects.restored ? 'pass' : 'fail',
        got: String(d.drill.objects.restored),
      });
  }
  const rows = b.databases.reduce((n, d) => n + d.counts.reduce((m, c) => m + c.rows, 0), 0);
  return {
    results,
    ok: b.ok,
    summary: `${b.databases.length} database${b.databases.length === 1 ? '' : 's'} dumped and restored, ${rows} rows compared (dump ${b.ms.dump} ms, drill ${b.ms.drill} ms)`,
  };
}
