/**
 * The verification report saved with the plan (`report.json`, `report.txt`): each step of the
 * run with its time and every check with the server's answer. No secret ever enters it: checks
 * are described by role, source and statement, and answers are the server's words.
 */
import { join } from 'node:path';
import type { Plan, Stage } from '../plan/types.js';
import { writeFileAtomic } from '../core/atomic.js';
import type { CheckResult } from './checks.js';

export interface StepReport {
  id: string;
  stage: Stage;
  outcome: 'done' | 'failed';
  ms: number;
  results: CheckResult[];
}

/** What the run did not prove: each skipped check, with why, so a pass is never read into a skip. */
export function notProven(results: readonly CheckResult[]): string[] {
  const skipped = results.filter((r) => r.outcome === 'skipped');
  if (skipped.length === 0) return results.length ? ['proven: every check ran against the server'] : [];
  return [
    `not proven: ${skipped.length} check${skipped.length === 1 ? '' : 's'} could not run from here and claim nothing; test them from a machine in that range:`,
    ...skipped.map((r) => `  - ${r.description}: ${r.got.replace(/^skipped: /, '')}`),
  ];
}

export function renderReport(plan: Plan, steps: readonly StepReport[]): string {
  const lines = [`pgharden report for plan ${plan.name} (${plan.id.slice(0, 12)})`];
  if (plan.backup.skipped)
    lines.push('WARNING: NO VERIFIED BACKUP was taken before this change (the plan was made with --skip-backup)');
  const byStage = new Map<Stage, number>();
  for (const s of steps) byStage.set(s.stage, (byStage.get(s.stage) ?? 0) + s.ms);
  lines.push(`time per stage: ${[...byStage].map(([st, ms]) => `${st} ${ms} ms`).join(', ') || 'none ran'}`);
  for (const s of steps) {
    lines.push(`${s.outcome === 'done' ? 'ok  ' : 'FAIL'} ${s.id} (${s.ms} ms)`);
    for (const r of s.results)
      lines.push(
        `       ${r.outcome === 'pass' ? 'pass' : r.outcome === 'fail' ? 'FAIL' : 'skip'}  ${r.description}${r.outcome === 'pass' ? '' : ` (got ${r.got})`}`,
      );
  }
  const all = steps.flatMap((s) => s.results);
  lines.push(
    `${all.filter((r) => r.outcome === 'pass').length} checks passed, ${all.filter((r) => r.outcome === 'fail').length} failed, ${all.filter((r) => r.outcome === 'skipped').length} skipped`,
  );
  lines.push(...notProven(all));
  return `${lines.join('\n')}\n`;
}

export function writeReport(dir: string, plan: Plan, steps: readonly StepReport[]): void {
  if (steps.length === 0) return;
  const notRun = steps
    .flatMap((s) => s.results)
    .filter((r) => r.outcome === 'skipped')
    .map((r) => ({ description: r.description, why: r.got }));
  writeFileAtomic(
    join(dir, 'report.json'),
    `${JSON.stringify({ schemaVersion: 1, plan: plan.id, backupSkipped: plan.backup.skipped, steps, notProven: notRun }, null, 2)}\n`,
    { mode: 0o600 },
  );
  writeFileAtomic(join(dir, 'report.txt'), renderReport(plan, steps), { mode: 0o600 });
}
