/**
 * What a finished drill leaves behind: its result in the stanza's drill history (the ledger the
 * runbook and the audit read), its RTO and RPO in the metrics file, and the runbook written again
 * where `pgharden runbook --out` last put it.
 */
import { resolve } from 'node:path';
import type { fileLedger, RunbookRecord } from '../backup/drill-ledger.js';
import { type MetricScope, writePitrMetrics } from '../backup/backup-metrics.js';
import type { PitrDrillOptions, PitrDrillResult } from './drill-run.js';

/** Records the outcome: the drill history, the metrics file, and the runbook when one was written before. */
export async function recordDrill(
  o: PitrDrillOptions,
  ledger: ReturnType<typeof fileLedger>,
  result: PitrDrillResult,
  scope: MetricScope,
): Promise<void> {
  ledger.note({
    kind: 'pitr-result',
    at: new Date().toISOString(),
    ok: result.ok,
    rtoSeconds: result.rtoSeconds,
    rpoSeconds: result.rpoSeconds,
    ...(result.rpoTargetSeconds !== null ? { rpoTargetSeconds: result.rpoTargetSeconds } : {}),
    target: result.target,
  });
  if (o.metrics) ledger.noteMetrics(resolve(o.metrics));
  if (o.metrics)
    writePitrMetrics(o.metrics, scope, {
      ok: result.ok,
      at: new Date(),
      rtoSeconds: result.rtoSeconds,
      rpoSeconds: result.rpoSeconds,
      rpoTargetSeconds: result.rpoTargetSeconds,
    });
  const book = ledger.records().findLast((r): r is RunbookRecord => r.kind === 'runbook');
  ledger.close();
  if (!book) return;
  const { writeRunbook } = await import('./runbook-make.js');
  try {
    await writeRunbook({
      connection: o.connection,
      ...(o.target ? { target: o.target } : {}),
      out: book.out,
      ...(book.backups ? { backups: book.backups } : {}),
      ...(book.plans ? { plans: book.plans } : {}),
    });
    result.runbook = book.out;
  } catch (err) {
    // The drill's own outcome stands; the runbook is said to be stale.
    result.notes.push(`the runbook ${book.out} was not written again: ${(err as Error).message}`);
  }
}
