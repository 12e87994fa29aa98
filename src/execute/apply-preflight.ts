/**
 * Apply's first phases: open the admin path with the plan's advisory lock, then the preflight
 * (one apply per cluster, the cluster and its files as planned, the facts the plan rests on).
 * Each refusal comes before any change and says why.
 */
import { drift, observeFile, type Drift } from '../plan/binding.js';
import type { Plan } from '../plan/plan-types.js';
import { openAdmin, type AdminSession, type AdminTarget } from './admin.js';
import { lockCluster } from './cluster-lock.js';
import { factsDrift } from './facts.js';

/** How a run ended before its last step: refused (nothing it should not have done) or failed, where and why. */
export interface Stop {
  outcome: 'failed' | 'refused';
  stopped: { step: string; reason: string };
  drift: Drift[];
}

/** The advisory lock key of a plan: the first 60 bits of its id, as a signed bigint literal. */
export const advisoryKey = (plan: Plan) => BigInt.asIntN(64, BigInt(`0x${plan.id.slice(0, 15)}`)).toString();

/** The admin path with the plan's advisory lock taken, if it can be within 5 s. */
export async function openLocked(target: AdminTarget, plan: Plan): Promise<{ admin: AdminSession; locked: boolean }> {
  const a = await openAdmin(target);
  // A run killed a moment ago may still hold the lock for the instant its admin session takes to close.
  let locked = false;
  for (let i = 0; i < 20 && !locked; i++) {
    if (i) await new Promise((r) => setTimeout(r, 250));
    locked = (await a.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${advisoryKey(plan)}) AS ok`))[0]!.ok;
  }
  return { admin: a, locked };
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

/**
 * The preflight, on a session that tried for the plan's lock (`locked`): the cluster's lock (its
 * release handed to `hold` as soon as it is taken), the cluster and its files, the facts. A Stop
 * when the run must not go on; null when it may.
 */
export async function preflight(
  plan: Plan,
  admin: AdminSession,
  locked: boolean,
  fresh: boolean,
  hold: (release: () => void) => void,
): Promise<Stop | null> {
  const refused = (step: string, reason: string, d: Drift[] = []): Stop => ({
    outcome: 'refused',
    stopped: { step, reason },
    drift: d,
  });
  if (!locked)
    return refused(
      'preflight/lock',
      "another session holds this plan's advisory lock on the server (a second apply or rollback is running)",
    );
  // One apply per cluster, whatever the plan: refused before any change, naming the holder.
  const cluster = await lockCluster(admin, plan.binding.systemIdentifier, plan.binding.dataDirectory);
  if ('held' in cluster) return refused('preflight/lock', `another apply runs on this cluster: ${cluster.held}`);
  hold(() => cluster.release());
  const drifts = await clusterDrift(plan, admin, fresh);
  if (drifts.length) return refused('preflight', 'the cluster or its files changed since the plan was made', drifts);
  const facts = await factsDrift(plan, admin, fresh);
  if (facts.length)
    return refused(
      'preflight',
      `what the plan rests on changed since it was made, so nothing was changed: ${facts.join('; ')}. Make a new plan from the current state (pgharden plan --spec ...)`,
    );
  return null;
}
