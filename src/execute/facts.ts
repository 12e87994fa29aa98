/**
 * The facts a plan's safety rests on, read again by apply before its first change: the login
 * superusers (the flip's reject rules name those of the plan's snapshot; one created since would
 * keep its network access) and the roles its steps expect (a role it creates must still be absent,
 * a login it retires must still be as it was). pg_hba.conf and the consumer files are re-checked by
 * their binding (content, mode, owner). Any difference refuses the run (exit 3), naming it.
 */
import type { Plan } from '../plan/plan-types.js';
import type { AdminSession } from './admin.js';
import { observe } from './step-states.js';

/** Every fact that no longer holds, in words; empty when the plan still rests on what it saw. */
export async function factsDrift(plan: Plan, admin: AdminSession, fresh: boolean): Promise<string[]> {
  const out: string[] = [];
  if (plan.facts) {
    const known = new Set(plan.facts.superusers);
    const now = await admin.query<{ r: string }>(
      'SELECT rolname AS r FROM pg_roles WHERE rolsuper AND rolcanlogin ORDER BY 1',
    );
    for (const { r } of now.filter((x) => !known.has(x.r)))
      out.push(
        `superuser ${r} (LOGIN) was created after the plan was made: the flip's reject rules name only ${plan.facts.superusers.join(', ') || 'no superuser'}, so ${r} would keep its network access`,
      );
  }
  if (fresh) {
    for (const step of plan.steps)
      for (const s of step.before) {
        if (s.of !== 'role' && s.of !== 'role-attrs') continue;
        const o = await observe(s, admin, plan.server.autoConfFile);
        if (!o.matches) out.push(`${step.id} expects ${o.expected}, but now ${o.now}`);
      }
  }
  return out;
}
