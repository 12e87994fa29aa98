/**
 * What plan.json records about passwords (no secret): which step sets each role's password — its
 * journal `done` time is when the password was set — and the spec's age limit for the audit.
 */
import { SECRET_TOKEN, type Plan, type Step } from './plan-types.js';

/** The roles whose password a step's SQL sets (`PASSWORD '<secret:ROLE>'`). */
function rolesSetBy(step: Step): string[] {
  if (step.forward.do !== 'sql') return [];
  return step.forward.statements.flatMap((sql) =>
    /\bPASSWORD\s+'</i.test(sql) ? [...sql.matchAll(SECRET_TOKEN)].map((m) => m[1]!) : [],
  );
}

/** The plan's password record. */
export function passwordRecord(steps: readonly Step[], maxAgeDays: number | undefined): NonNullable<Plan['passwords']> {
  return {
    maxAgeDays: maxAgeDays ?? null,
    set: steps.flatMap((s) => rolesSetBy(s).map((role) => ({ role, step: s.id }))),
  };
}
