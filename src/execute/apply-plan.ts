/**
 * `pgharden apply`'s core: the checkpointed executor. Every step: record intent (fsync) → act →
 * run its checks → observe its after-state → record done (fsync). Run again after any
 * interruption and each step re-observes the world: a finished step is skipped, an interrupted
 * one is judged by what it left (its after-state → done; its before-state → run it again;
 * anything else → stop with a drift report), so a crash anywhere resumes cleanly.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Drift } from '../plan/binding.js';
import { readSecrets } from '../plan/secrets.js';
import { loadPlan, SECRETS_FILE } from '../plan/store.js';
import type { Plan } from '../plan/plan-types.js';
import { acquirePlanLock } from '../core/lock.js';
import { watchInterrupts, type OnInterrupt } from './apply-interrupt.js';
import { openLocked, preflight, type Stop } from './apply-preflight.js';
import { runSteps } from './apply-steps.js';
import type { AdminSession, AdminTarget } from './admin.js';
import { dropLeftScratch } from './backup-step.js';
import { lockClusterServer } from './cluster-lock.js';
import { openJournal, type Journal } from './journal.js';
import { writeReport, type StepReport } from './report.js';
import { reload, runContext, StepError, type Faults, type RunContext } from './runners.js';

export interface ApplyOptions {
  version: string;
  log: (line: string) => void;
  /** Test-only fault injection (the CLI passes what the test entry point installed; nothing else should). */
  faults?: Faults;
  /** SIGINT/SIGTERM during the run: where it stopped, and the clean-up to wait for before exiting. */
  onInterrupt?: OnInterrupt;
}

export interface ApplyResult {
  plan: Plan;
  outcome: 'applied' | 'failed' | 'refused';
  /** The step that stopped the run, and why. */
  stopped?: { step: string; reason: string };
  drift: Drift[];
  steps: StepReport[];
}

/** This run's entry in the plan's report: how it ended (from its last step, unless said). */
function reporter(dir: string, plan: Plan, steps: StepReport[]): (outcome?: string) => void {
  const run = { started: new Date().toISOString() };
  return (outcome) =>
    writeReport(dir, plan, {
      ...run,
      ended: new Date().toISOString(),
      outcome:
        outcome ??
        (steps.at(-1)?.outcome === 'failed'
          ? `failed at ${steps.at(-1)!.id}`
          : steps.at(-1)?.id === plan.steps.at(-1)?.id
            ? 'applied'
            : 'stopped (see the apply output)'),
      steps,
    });
}

/** Where the admin path reaches the planned server. */
const adminTargetOf = (plan: Plan): AdminTarget => ({
  socketDir: plan.server.socketDir,
  port: plan.binding.port,
  role: plan.server.adminRole,
  dataDirectory: plan.binding.dataDirectory,
  configFile: plan.server.configFile,
});

/**
 * The context the steps run in. A restart ends every session, the lifeline and its advisory
 * lock with them: `reopen` takes both again and hands the new session to `swap`.
 */
function stepContext(
  base: Pick<RunContext, 'plan' | 'dir' | 'secrets' | 'admin' | 'journal' | 'log'> & { faults?: Faults },
  target: AdminTarget,
  swap: (admin: AdminSession) => void,
): RunContext {
  const x: RunContext = runContext({
    ...base,
    reload: () => reload(x.admin),
    reopen: async () => {
      const again = await openLocked(target, base.plan);
      x.admin = x.checks.admin = again.admin;
      swap(again.admin);
      if (!again.locked) throw new StepError("another session took this plan's advisory lock during the restart", true);
      const holder = await lockClusterServer(again.admin);
      if (holder) throw new StepError(`${holder} took the cluster's advisory lock during the restart`, true);
    },
  });
  return x;
}

/**
 * Carries out the plan in `dir`: open the admin path with the plan's lock, the preflight, then
 * every step (judged, run, checked, recorded); the report of this run is written however it ends.
 */
export async function applyPlan(dir: string, o: ApplyOptions): Promise<ApplyResult> {
  const plan = loadPlan(dir);
  const secrets = readSecrets(join(dir, SECRETS_FILE), plan.secretsSha256);
  const lock = acquirePlanLock(dir);
  const steps: StepReport[] = [];
  const report = reporter(dir, plan, steps);
  let admin: AdminSession | undefined;
  let releaseCluster: () => void = () => undefined;
  let journalNow: Journal | undefined;
  const target = adminTargetOf(plan);
  const watch = o.onInterrupt
    ? watchInterrupts(
        plan.steps.length,
        target,
        () => journalNow,
        (at) => {
          lock.release();
          releaseCluster();
          report(`interrupted at step ${at.step} of ${at.total} (${at.id}) by ${at.signal}`);
        },
        o.onInterrupt,
      )
    : undefined;
  const ended = (stop: Stop | null): ApplyResult =>
    stop ? { plan, ...stop, steps } : { plan, outcome: 'applied', drift: [], steps };
  try {
    if (lock.staleFrom) o.log(`Took over a stale lock left by ${lock.staleFrom}`);
    const journal = openJournal(join(dir, 'journal'));
    journalNow = journal;
    const fresh = !journal.records.some((r) => r.type === 'run-start');
    const first = await openLocked(target, plan);
    admin = first.admin;
    const refused = await preflight(plan, admin, first.locked, fresh, (release) => (releaseCluster = release));
    if (refused) return ended(refused);
    journal.append({ type: 'run-start', planId: plan.id, pid: process.pid, host: hostname(), version: o.version });
    await dropLeftScratch(journal, admin, o.log);
    const x = stepContext(
      { plan, dir, secrets, admin, journal, log: o.log, ...(o.faults ? { faults: o.faults } : {}) },
      target,
      (again) => (admin = again),
    );
    const stop = await runSteps(x, {
      journal,
      log: o.log,
      steps,
      ...(o.faults ? { faults: o.faults } : {}),
      ...(watch ? { watch } : {}),
    });
    if (stop) return ended(stop);
    journal.append({ type: 'run-end', outcome: 'applied' });
    return ended(null);
  } finally {
    await watch?.halt();
    watch?.remove();
    await admin?.end();
    releaseCluster();
    lock.release();
    report();
  }
}
