/**
 * Where a renewal takes its CA from: the newest TLS plan under the plans directory that generated
 * its CA (its key is in its tls/, 0600), is bound to this server, and is applied (its journal has
 * server-tls/reload done and no step reverted), or the plan named with --from.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLAN_FILE } from './store.js';
import { TLS_FILES } from './tls-certificate.js';
import type { Plan } from './plan-types.js';

/** Has this plan's server-tls/reload been done and none of its steps reverted since? (its journal) */
function applied(dir: string): boolean {
  const file = join(dir, 'journal');
  if (!existsSync(file)) return false;
  const latest = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    try {
      const r = JSON.parse(line) as { type: string; stepId?: string };
      if (r.stepId && ['done', 'reverted', 'failed'].includes(r.type)) latest.set(r.stepId, r.type);
    } catch {
      // A partial last line.
    }
  }
  return latest.get('server-tls/reload') === 'done' && ![...latest.values()].includes('reverted');
}

/** A plan that set up TLS and generated its CA (its key is in its tls/), read without trusting more than its JSON. */
export function tlsPlanAt(dir: string): Plan | null {
  try {
    const plan = JSON.parse(readFileSync(join(dir, PLAN_FILE), 'utf8')) as Plan;
    // A TLS plan, or a hardening plan that carried the spec's tls section (no purpose, a `tls` record).
    if ((plan.purpose !== undefined && plan.purpose !== 'tls') || !plan.tls || plan.tls.renews) return null;
    return existsSync(join(dir, TLS_FILES.caKey)) && existsSync(join(dir, TLS_FILES.caCert)) ? plan : null;
  } catch {
    return null;
  }
}

/** The newest applied TLS plan for this server under `plansDir`. */
export function findTlsPlan(plansDir: string, systemIdentifier: string): string | null {
  if (!existsSync(plansDir)) return null;
  const found = readdirSync(plansDir)
    .map((n) => join(plansDir, n))
    .map((d) => ({ d, plan: tlsPlanAt(d) }))
    .filter((x) => x.plan && x.plan.binding.systemIdentifier === systemIdentifier && applied(x.d))
    .sort((a, b) => a.plan!.createdAt.localeCompare(b.plan!.createdAt));
  return found.at(-1)?.d ?? null;
}
