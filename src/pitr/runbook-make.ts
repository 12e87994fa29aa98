/**
 * `pgharden runbook`: the cluster's disaster-recovery runbook, from live facts (runbook-facts.ts)
 * rendered as Markdown (runbook-render.ts). With an output file, the file's path (and the backup
 * directory it read) is recorded in the stanza's drill history, so every `pitr drill` writes the
 * runbook again with its fresh RTO and RPO.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileLedger } from '../backup/drill-ledger.js';
import { configFor, ensureReachable, peerIdentity, resolveTarget, type ConnectOptions } from '../connect/connect.js';
import { databaseSessions } from '../cluster/sessions.js';
import { writeFileAtomic } from '../core/atomic.js';
import type { TargetOverride } from './archive-command.js';
import { drillLedgerPath, drillStateDir } from './drill-pgbackrest.js';
import { runbookFacts } from './runbook-facts.js';
import { renderRunbook } from './runbook-render.js';

export interface RunbookOptions {
  connection: ConnectOptions;
  /** `--stanza`/`--config`: the pgBackRest set-up, when archive_command does not name it plainly. */
  target?: TargetOverride;
  /** Where to write it (mode 0600); absent: only returned. */
  out?: string;
  /** `pgharden backup --out` directory, for the last verified dump. */
  backups?: string;
  /** The plans directory (default: plans). */
  plans?: string;
}

/** Gathers the facts, renders the runbook, writes it when asked; returns the Markdown. */
export async function writeRunbook(o: RunbookOptions): Promise<{ markdown: string; out: string | null }> {
  await ensureReachable(o.connection);
  const target = resolveTarget(o.connection);
  const config = configFor(target, peerIdentity(target));
  const s = databaseSessions((db) => ({ ...config, database: db, application_name: 'pgharden runbook' }));
  try {
    const facts = await runbookFacts(s, {
      now: new Date(),
      ...(o.target ? { target: o.target } : {}),
      ...(o.backups ? { backups: o.backups } : {}),
      ...(o.plans ? { plans: o.plans } : {}),
    });
    const markdown = renderRunbook(facts);
    if (!o.out) return { markdown, out: null };
    const out = resolve(o.out);
    writeFileAtomic(out, markdown, { mode: 0o600 });
    if (facts.archive) {
      mkdirSync(drillStateDir(facts.archive), { recursive: true, mode: 0o700 });
      const ledger = fileLedger(drillLedgerPath(facts.archive), 'pitr');
      const last = ledger.records().findLast((r) => r.kind === 'runbook');
      const backups = o.backups ? resolve(o.backups) : undefined;
      const plans = resolve(o.plans ?? 'plans');
      if (last?.kind !== 'runbook' || last.out !== out || last.backups !== backups || last.plans !== plans)
        ledger.note({ kind: 'runbook', out, plans, ...(backups ? { backups } : {}) });
      ledger.close();
    }
    return { markdown, out };
  } finally {
    await s.end();
  }
}
