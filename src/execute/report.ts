/**
 * The verification report saved with the plan (`report.json`, `report.txt`): each step of the
 * run with its time and every check with the server's answer. No secret ever enters it: checks
 * are described by role, source and statement, and answers are the server's words.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan, Stage } from '../plan/plan-types.js';
import { writeFileAtomic } from '../core/atomic.js';
import type { CheckResult } from './run-checks.js';

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

/** One apply run: when it started and ended, how it ended, and the steps it ran. */
export interface RunReport {
  started: string;
  ended: string;
  outcome: string;
  steps: StepReport[];
}

function stepLines(steps: readonly StepReport[]): string[] {
  const lines: string[] = [];
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
  return lines;
}

/** The report of one run's steps (what apply prints), or of every run of the plan (report.txt), each with its start and end. */
export function renderReport(plan: Plan, steps: readonly StepReport[], runs?: readonly RunReport[]): string {
  const lines = [`pgharden report for plan ${plan.name} (${plan.id.slice(0, 12)})`];
  if (plan.backup.skipped)
    lines.push('WARNING: NO VERIFIED BACKUP was taken before this change (the plan was made with --skip-backup)');
  if (runs?.length) {
    for (const [i, run] of runs.entries()) {
      lines.push(`run ${i + 1} of ${runs.length}: started ${run.started}, ended ${run.ended}: ${run.outcome}`);
      lines.push(...stepLines(run.steps).map((l) => `  ${l}`));
    }
  } else lines.push(...stepLines(steps));
  const all = (runs?.length ? runs.flatMap((r) => r.steps) : steps).flatMap((s) => s.results);
  lines.push(
    `${all.filter((r) => r.outcome === 'pass').length} checks passed, ${all.filter((r) => r.outcome === 'fail').length} failed, ${all.filter((r) => r.outcome === 'skipped').length} skipped`,
  );
  lines.push(...notProven(all));
  return `${lines.join('\n')}\n`;
}

/** The runs report.json holds for this plan (none when it is absent, unreadable or another plan's). */
function savedRuns(dir: string, plan: Plan): RunReport[] {
  try {
    const saved = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { plan?: string; runs?: RunReport[] };
    return saved.plan === plan.id && Array.isArray(saved.runs) ? saved.runs : [];
  } catch {
    return [];
  }
}

/** Adds this run to the plan's report (or replaces it, when written again by the same run): every run is kept. */
export function writeReport(dir: string, plan: Plan, run: RunReport): void {
  const runs = savedRuns(dir, plan).filter((r) => r.started !== run.started);
  // A run that did nothing (already applied, refused before any step) adds nothing.
  if (run.steps.length === 0 && !run.outcome.startsWith('interrupted')) return;
  runs.push(run);
  const steps = runs.flatMap((r) => r.steps);
  const notRun = steps
    .flatMap((s) => s.results)
    .filter((r) => r.outcome === 'skipped')
    .map((r) => ({ description: r.description, why: r.got }));
  writeFileAtomic(
    join(dir, 'report.json'),
    `${JSON.stringify({ schemaVersion: 1, plan: plan.id, backupSkipped: plan.backup.skipped, runs, steps, notProven: notRun }, null, 2)}\n`,
    { mode: 0o600 },
  );
  writeFileAtomic(join(dir, 'report.txt'), renderReport(plan, steps, runs), { mode: 0o600 });
}
