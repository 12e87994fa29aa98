/**
 * Apply's step phase: each step judged by the state it finds (skip, done already, run, or drift),
 * then run: record intent (fsync) → act → its checks → its after-state observed → record done (fsync).
 */
import type { Step } from '../plan/plan-types.js';
import type { Stop } from './apply-preflight.js';
import type { InterruptWatch } from './apply-interrupt.js';
import { runChecks, type CheckResult } from './run-checks.js';
import type { Journal } from './journal.js';
import { observeAll } from './step-states.js';
import type { StepReport } from './report.js';
import { runAction, StepError, type Faults, type RunContext } from './runners.js';

/** What the step phase needs beside the run's context. */
export interface StepRun {
  journal: Journal;
  log: (line: string) => void;
  faults?: Faults;
  watch?: InterruptWatch;
  /** Each step run is added here, done or failed, for the report. */
  steps: StepReport[];
}

/** The kill fault: the process dies at that point of that step, as in a power cut. */
function fault(faults: Faults | undefined, step: string, at: 'intent' | 'action' | 'done'): void {
  if (faults?.kill?.step === step && faults.kill.at === at) process.kill(process.pid, 'SIGKILL');
}

/** Decides what to do with a step on this run. */
async function judge(
  step: Step,
  journal: Journal,
  x: RunContext,
): Promise<'skip' | 'run' | 'done-now' | { drift: string }> {
  const state = journal.stepState(step.id);
  if (state === 'done') return 'skip';
  const stateful = step.after.some((s) => s.of !== 'none');
  if (!stateful) return 'run';
  const auto = x.plan.server.autoConfFile;
  if (state === 'intent' || state === 'failed') {
    if ((await observeAll(step.after, x.admin, auto)).matches) return 'done-now';
  }
  const before = await observeAll(step.before, x.admin, auto);
  if (before.matches) return 'run';
  return {
    drift: before.seen
      .filter((o) => !o.matches)
      .map((o) => `expected ${o.expected}, found ${o.now}`)
      .join('; '),
  };
}

/** Acts, checks and observes one step; throws a StepError (with the results so far) when it fails. */
async function act(step: Step, x: RunContext, r: StepRun): Promise<CheckResult[]> {
  let results: CheckResult[] = [];
  try {
    results = await runAction(step.forward, step, x);
    fault(r.faults, step.id, 'action');
    if (step.verify.length) {
      const v = await runChecks(step.verify, x.checks);
      results = [...results, ...v];
      const failed = v.filter((c) => c.outcome === 'fail');
      if (failed.length)
        throw new StepError(failed.map((f) => `${f.description}: got ${f.got}`).join('; '), false, results);
    }
    const after = await observeAll(step.after, x.admin, x.plan.server.autoConfFile);
    if (!after.matches)
      throw new StepError(
        `it did not leave its after-state: ${after.seen
          .filter((s) => !s.matches)
          .map((s) => `expected ${s.expected}, found ${s.now}`)
          .join('; ')}`,
        true,
      );
    return results;
  } catch (err) {
    const e = err instanceof StepError ? err : new StepError((err as Error).message);
    throw e.results.length ? e : new StepError(e.message, e.refused, results);
  }
}

/** Step `i` (from 0) of the plan on this run; a Stop when the run must end there. */
async function runStep(step: Step, i: number, x: RunContext, r: StepRun): Promise<Stop | null> {
  const { journal, steps } = r;
  const total = x.plan.steps.length;
  await r.watch?.halt();
  r.watch?.at(i + 1, step.id);
  const started = Date.now();
  let verdict: Awaited<ReturnType<typeof judge>>;
  try {
    verdict = await judge(step, journal, x);
  } catch (err) {
    // Observing the step needs the server: a session lost here stops the run like a failed step.
    return { outcome: 'failed', stopped: { step: step.id, reason: (err as Error).message }, drift: [] };
  }
  if (verdict === 'skip') return null;
  if (verdict === 'done-now') {
    journal.append({ type: 'done', stepId: step.id, after: step.after });
    r.log(`  [${i + 1}/${total}] ${step.id}: already done (found its after-state)`);
    return null;
  }
  if (typeof verdict === 'object') {
    journal.append({ type: 'failed', stepId: step.id, error: `drift: ${verdict.drift}` });
    return {
      outcome: 'refused',
      stopped: { step: step.id, reason: `neither its before- nor its after-state holds: ${verdict.drift}` },
      drift: [],
    };
  }
  r.log(`  [${i + 1}/${total}] ${step.id} …`);
  journal.append({ type: 'intent', stepId: step.id, undo: step.undo });
  fault(r.faults, step.id, 'intent');
  let results: CheckResult[];
  try {
    results = await act(step, x, r);
  } catch (err) {
    // Interrupted: the step's failure is the interruption's doing; the exit comes from the handler.
    await r.watch?.halt();
    const e = err as StepError;
    steps.push({ id: step.id, stage: step.stage, outcome: 'failed', ms: Date.now() - started, results: e.results });
    journal.append({ type: 'failed', stepId: step.id, error: e.message });
    return { outcome: e.refused ? 'refused' : 'failed', stopped: { step: step.id, reason: e.message }, drift: [] };
  }
  if (results.length) journal.append({ type: 'verification', stepId: step.id, result: results });
  journal.append({ type: 'done', stepId: step.id, after: step.after });
  fault(r.faults, step.id, 'done');
  steps.push({ id: step.id, stage: step.stage, outcome: 'done', ms: Date.now() - started, results });
  return null;
}

/** Every step of the plan in order; the Stop of the first that ends the run, or null when all are done. */
export async function runSteps(x: RunContext, r: StepRun): Promise<Stop | null> {
  for (const [i, step] of x.plan.steps.entries()) {
    const stop = await runStep(step, i, x, r);
    if (stop) return stop;
  }
  return null;
}
