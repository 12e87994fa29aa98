/**
 * `pgharden drift`'s core: picks the desired state (a plan directory, else the newest applied plan
 * under ./plans, or a spec), observes the live cluster read-only, compares, and writes the metrics.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { clusterLabel } from '../cluster/cluster-label.js';
import type { ConnectOptions } from '../connect/connect.js';
import { InputError } from '../core/errors.js';
import { openJournal } from '../execute/journal.js';
import { loadPlan } from '../plan/store.js';
import { parseSpec } from '../spec/spec.js';
import { compare } from './compare.js';
import { desiredFromPlan, desiredFromSpec } from './desired.js';
import { writeDriftMetrics } from './drift-metrics.js';
import { observe } from './drift-observe.js';
import type { Difference } from './drift-types.js';
import type { Plan } from '../plan/plan-types.js';

export interface DriftOptions {
  /** A plan directory: its end state is the desired state. */
  plan?: string;
  /** A spec file: the desired state instead of a plan. */
  spec?: string;
  /** Where to look for the newest applied plan when neither is given (default ./plans). */
  plansDir?: string;
  connection?: ConnectOptions;
  /** A Prometheus textfile to write the gauges to. */
  metrics?: string;
  now?: Date;
}

export interface DriftResult {
  inSync: boolean;
  /** The cluster label, as on every pgharden metric: VERSION/NAME (Debian) or pgMAJOR-PORT. */
  cluster: string;
  /** What the cluster was compared with: `plan DIR` or `spec FILE`. */
  desired: string;
  differences: Difference[];
}

/**
 * True when the plan in `dir` is a hardening plan (not a rotation or pitr plan, which change no
 * desired state of their own) and every step of it is done (applied, not rolled back).
 */
function applied(dir: string): boolean {
  try {
    const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as Pick<Plan, 'steps' | 'purpose'>;
    if (plan.purpose) return false;
    const journal = openJournal(join(dir, 'journal'));
    return plan.steps.length > 0 && plan.steps.every((s) => journal.stepState(s.id) === 'done');
  } catch {
    return false;
  }
}

/** The applied hardening plan under `plansDir` whose journal changed last. */
export function newestAppliedPlan(plansDir: string): string | undefined {
  if (!existsSync(plansDir)) return undefined;
  return readdirSync(plansDir)
    .map((n) => join(plansDir, n))
    .filter((d) => existsSync(join(d, 'journal')) && applied(d))
    .sort((a, b) => statSync(join(b, 'journal')).mtimeMs - statSync(join(a, 'journal')).mtimeMs)[0];
}

/**
 * How apply reaches the plan's server after the flip: the local socket as the server's OS user
 * (peer; as root, through a child with that uid). The plan's own target may be a TCP superuser
 * login that the plan itself closed.
 */
function adminPath(plan: Plan): ConnectOptions {
  const { socketDir, adminRole } = plan.server;
  if (!socketDir) return plan.target;
  const q = (v: string) => `'${v.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  return { dsn: `host=${q(socketDir)} port=${plan.binding.port} user=${q(adminRole)} dbname=postgres` };
}

/** Compares the live cluster with its desired state. */
export async function driftCheck(o: DriftOptions): Promise<DriftResult> {
  if (o.plan && o.spec) throw new InputError('drift compares with a plan or a spec, not both', 'pgharden drift --help');
  const flags = o.connection ?? {};
  const named = flags.dsn !== undefined || flags.cluster !== undefined;
  let run: Awaited<ReturnType<typeof observe>>;
  let target: { dsn?: string; cluster?: string };
  if (o.spec) {
    const spec = parseSpec(readFileSync(o.spec, 'utf8'), o.spec);
    target = named
      ? flags
      : {
          ...(spec.target.dsn ? { dsn: spec.target.dsn } : {}),
          ...(spec.target.cluster ? { cluster: spec.target.cluster } : {}),
        };
    run = await observe({ ...flags, ...target }, (s) => desiredFromSpec(spec, o.spec!, s), spec.templates);
  } else {
    const plansDir = o.plansDir ?? 'plans';
    const dir = o.plan ?? newestAppliedPlan(plansDir);
    if (!dir)
      throw new InputError(
        `No applied plan under ${plansDir} to compare with`,
        'name one (pgharden drift plans/NAME) or a spec (pgharden drift --spec harden.yaml)',
      );
    const plan = loadPlan(dir);
    target = named ? flags : plan.target;
    run = await observe(named ? flags : adminPath(plan), () => desiredFromPlan(plan, dir));
  }
  const differences = compare(run.desired, run.observed);
  const s = run.observed.snapshot;
  // The label every pgharden metric carries for this cluster (pitr, drills, drift alike).
  const cluster = target.cluster ?? clusterLabel(s.settings.config_file ?? null, s.major, Number(s.settings.port));
  if (o.metrics) writeDriftMetrics(o.metrics, cluster, differences, o.now ?? new Date());
  return { inSync: differences.length === 0, cluster, desired: run.desired.source, differences };
}
