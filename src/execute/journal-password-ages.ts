/**
 * The audit's password ages: for each role, the newest `done` time in the journals of the plans
 * under a directory of the step that plan.json says sets its password. A reverted step (rolled
 * back) does not count: its password is gone.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PasswordAges, PasswordSet } from '../cluster/password-ages.js';
import type { Plan } from '../plan/plan-types.js';
import { openJournal } from './journal.js';

/** Reads every plan under `plansDir`; `maxAgeDays` overrides the newest plan's limit. */
export function passwordAges(plansDir: string, now: Date, maxAgeDays?: number): PasswordAges {
  const newest = new Map<string, PasswordSet>();
  let limit: { days: number | null; at: string } | null = null;
  const dirs = existsSync(plansDir) ? readdirSync(plansDir).map((n) => join(plansDir, n)) : [];
  for (const dir of dirs) {
    let plan: Plan;
    try {
      plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as Plan;
    } catch {
      continue;
    }
    if (!plan.passwords || !existsSync(join(dir, 'journal'))) continue;
    let journal: ReturnType<typeof openJournal>;
    try {
      journal = openJournal(join(dir, 'journal'));
    } catch {
      continue; // A journal that does not verify proves no time; apply and status name it.
    }
    for (const { role, step } of plan.passwords.set) {
      if (journal.stepState(step) !== 'done') continue;
      const done = journal.records.filter((r) => r.type === 'done' && r.stepId === step).at(-1);
      if (!done) continue;
      if ((newest.get(role)?.setAt ?? '') < done.at) newest.set(role, { role, setAt: done.at, plan: dir });
      if (!limit || limit.at < done.at) limit = { days: plan.passwords.maxAgeDays, at: done.at };
    }
  }
  return {
    now: now.toISOString(),
    maxAgeDays: maxAgeDays ?? limit?.days ?? null,
    roles: [...newest.values()].sort((a, b) => a.role.localeCompare(b.role)),
    source: `the journals of the plans under ${plansDir}`,
  };
}
