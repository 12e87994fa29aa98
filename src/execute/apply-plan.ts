/**
 * `pgharden apply`'s core: the checkpointed executor. Every step: record intent (fsync) → act →
 * run its checks → observe its after-state → record done (fsync). Run again after any
 * interruption and each step re-observes the world: a finished step is skipped, an interrupted
 * one is judged by what it left (its after-state → done; its before-state → run it again;
 * anything else → stop with a drift report), so a crash anywhere resumes cleanly.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { drift, observeFile, type Drift } from '../plan/binding.js';
import { readSecrets } from '../plan/secrets.js';
import { loadPlan, SECRETS_FILE } from '../plan/store.js';
import type { Plan, Step } from '../plan/plan-types.js';
import { watchInterrupts, type OnInterrupt } from './apply-interrupt.js';
import { openAdmin, type AdminSession } from './admin.js';
import { runChecks, type CheckResult } from './run-checks.js';
import { openJournal, type Journal } from './journal.js';
import { acquirePlanLock } from '../core/lock.js';
import { lockCluster, lockClusterServer } from './cluster-lock.js';
import { factsDrift } from './facts.js';
import { dropLeftScratch } from './backup-step.js';
import { observeAll } from './step-states.js';
import { reload, runAction, runContext, StepError, type Faults, type RunContext } from './runners.js';
import { writeReport, type StepReport } from './report.js';

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

/** The advisory lock key of a plan: the first 60 bits of its id, as a signed bigint literal. */
export const advisoryKey = (plan: Plan) => BigInt.asIntN(64, BigInt(`0x${plan.id.slice(0, 15)}`)).toString();

/** The kill fault: the process dies at that point of that step, as in a power cut. */
function fault(faults: Faults | undefined, step: string, at: 'intent' | 'action' | 'done'): void {
  if (faults?.kill?.step === step && faults.kill.at === at) process.kill(process.pid, 'SIGKILL');
}

/** The cluster itself must be the one planned for, on every run. */
async function clusterDrift(plan: Plan, admin: AdminSession, fresh: boolean): Promise<Drift[]> {
  const [r] = await admin.query<{ id: string; dir: string; port: string }>(
    "SELECT (SELECT system_identifier::text FROM pg_control_system()) AS id, current_setting('data_directory') AS dir, current_setting('port') AS port",
  );
  const now = {
    systemIdentifier: r!.id,
    dataDirectory: r!.dir,
    port: Number(r!.port),
    files: plan.binding.files.map((f) => observeFile(f.path)),
  };
  // On a resumed run the plan's own steps have changed the files: their states are judged per step.
  return drift(fresh ? plan.binding : { ...plan.binding, files: [] }, { ...now, files: fresh ? now.files : [] });
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

export async function applyPlan(dir: string, o: ApplyOptions): Promise<ApplyResult> {
  const plan = loadPlan(dir);
  const secrets = readSecrets(join(dir, SECRETS_FILE), plan.secretsSha256);
  const lock = acquirePlanLock(dir);
  const steps: StepReport[] = [];
  const run = { started: new Date().toISOString() };
  /** This run in the plan's report: how it ended, from its last step. */
  const report = (outcome?: string) =>
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
  let admin: AdminSession | undefined;
  let releaseCluster: () => void = () => undefined;
  let journalNow: Journal | undefined;
  const adminTarget = {
    socketDir: plan.server.socketDir,
    port: plan.binding.port,
    role: plan.server.adminRole,
    dataDirectory: plan.binding.dataDirectory,
    configFile: plan.server.configFile,
  };
  const watch = o.onInterrupt
    ? watchInterrupts(
        plan.steps.length,
        adminTarget,
        () => journalNow,
        (at) => {
          lock.release();
          releaseCluster();
          report(`interrupted at step ${at.step} of ${at.total} (${at.id}) by ${at.signal}`);
        },
        o.onInterrupt,
      )
    : undefined;
  try {
    if (lock.staleFrom) o.log(`Took over a stale lock left by ${lock.staleFrom}`);
    const journal = openJournal(join(dir, 'journal'));
    journalNow = journal;
    const fresh = !journal.records.some((r) => r.type === 'run-start');
    const openLocked = async (): Promise<{ admin: AdminSession; locked: boolean }> => {
      const a = await openAdmin(adminTarget);
      // A run killed a moment ago may still hold the lock for the instant its admin session takes to close.
      let locked = false;
      for (let i = 0; i < 20 && !locked; i++) {
        if (i) await new Promise((r) => setTimeout(r, 250));
        locked = (await a.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${advisoryKey(plan)}) AS ok`))[0]!.ok;
      }
      return { admin: a, locked };
    };
    const first = await openLocked();
    admin = first.admin;
    if (!first.locked)
      return {
        plan,
        outcome: 'refused',
        stopped: {
          step: 'preflight/lock',
          reason:
            "another session holds this plan's advisory lock on the server (a second apply or rollback is running)",
        },
        drift: [],
        steps,
      };
    // One apply per cluster, whatever the plan: refused before any change, naming the holder.
    const cluster = await lockCluster(admin, plan.binding.systemIdentifier, plan.binding.dataDirectory);
    if ('held' in cluster)
      return {
        plan,
        outcome: 'refused',
        stopped: { step: 'preflight/lock', reason: `another apply runs on this cluster: ${cluster.held}` },
        drift: [],
        steps,
      };
    releaseCluster = () => cluster.release();
    const drifts = await clusterDrift(plan, admin, fresh);
    if (drifts.length)
      return {
        plan,
        outcome: 'refused',
        stopped: { step: 'preflight', reason: 'the cluster or its files changed since the plan was made' },
        drift: drifts,
        steps,
      };

    const facts = await factsDrift(plan, admin, fresh);
    if (facts.length)
      return {
        plan,
        outcome: 'refused',
        stopped: {
          step: 'preflight',
          reason: `what the plan rests on changed since it was made, so nothing was changed: ${facts.join('; ')}. Make a new plan from the current state (pgharden plan --spec ...)`,
        },
        drift: [],
        steps,
      };
    journal.append({ type: 'run-start', planId: plan.id, pid: process.pid, host: hostname(), version: o.version });
    await dropLeftScratch(journal, admin, o.log);
    const x: RunContext = runContext({
      plan,
      dir,
      secrets,
      admin,
      journal,
      log: o.log,
      reload: () => reload(x.admin),
      // A restart ends every session, the lifeline and its advisory lock with them: both are taken again.
      reopen: async () => {
        const again = await openLocked();
        admin = x.admin = x.checks.admin = again.admin;
        if (!again.locked)
          throw new StepError("another session took this plan's advisory lock during the restart", true);
        const holder = await lockClusterServer(again.admin);
        if (holder) throw new StepError(`${holder} took the cluster's advisory lock during the restart`, true);
      },
      ...(o.faults ? { faults: o.faults } : {}),
    });
    for (const [i, step] of plan.steps.entries()) {
      await watch?.halt();
      watch?.at(i + 1, step.id);
      const started = Date.now();
      let verdict: Awaited<ReturnType<typeof judge>>;
      try {
        verdict = await judge(step, journal, x);
      } catch (err) {
        // Observing the step needs the server: a session lost here stops the run like a failed step.
        return {
          plan,
          outcome: 'failed',
          stopped: { step: step.id, reason: (err as Error).message },
          drift: [],
          steps,
        };
      }
      if (verdict === 'skip') continue;
      if (verdict === 'done-now') {
        journal.append({ type: 'done', stepId: step.id, after: step.after });
        o.log(`  [${i + 1}/${plan.steps.length}] ${step.id}: already done (found its after-state)`);
        continue;
      }
      if (typeof verdict === 'object') {
        journal.append({ type: 'failed', stepId: step.id, error: `drift: ${verdict.drift}` });
        return {
          plan,
          outcome: 'refused',
          stopped: { step: step.id, reason: `neither its before- nor its after-state holds: ${verdict.drift}` },
          drift: [],
          steps,
        };
      }
      o.log(`  [${i + 1}/${plan.steps.length}] ${step.id} …`);
      journal.append({ type: 'intent', stepId: step.id, undo: step.undo });
      fault(o.faults, step.id, 'intent');
      let results: CheckResult[] = [];
      try {
        results = await runAction(step.forward, step, x);
        fault(o.faults, step.id, 'action');
        if (step.verify.length) {
          const v = await runChecks(step.verify, x.checks);
          results = [...results, ...v];
          const failed = v.filter((r) => r.outcome === 'fail');
          if (failed.length)
            throw new StepError(failed.map((f) => `${f.description}: got ${f.got}`).join('; '), false, results);
        }
        const after = await observeAll(step.after, x.admin, plan.server.autoConfFile);
        if (!after.matches)
          throw new StepError(
            `it did not leave its after-state: ${after.seen
              .filter((s) => !s.matches)
              .map((s) => `expected ${s.expected}, found ${s.now}`)
              .join('; ')}`,
            true,
          );
      } catch (err) {
        // Interrupted: the step's failure is the interruption's doing; the exit comes from the handler.
        await watch?.halt();
        const e = err instanceof StepError ? err : new StepError((err as Error).message);
        steps.push({
          id: step.id,
          stage: step.stage,
          outcome: 'failed',
          ms: Date.now() - started,
          results: e.results.length ? e.results : results,
        });
        journal.append({ type: 'failed', stepId: step.id, error: e.message });
        return {
          plan,
          outcome: e.refused ? 'refused' : 'failed',
          stopped: { step: step.id, reason: e.message },
          drift: [],
          steps,
        };
      }
      if (results.length) journal.append({ type: 'verification', stepId: step.id, result: results });
      journal.append({ type: 'done', stepId: step.id, after: step.after });
      fault(o.faults, step.id, 'done');
      steps.push({ id: step.id, stage: step.stage, outcome: 'done', ms: Date.now() - started, results });
    }
    journal.append({ type: 'run-end', outcome: 'applied' });
    return { plan, outcome: 'applied', drift: [], steps };
  } finally {
    await watch?.halt();
    watch?.remove();
    await admin?.end();
    releaseCluster();
    lock.release();
    report();
  }
}
