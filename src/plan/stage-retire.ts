/**
 * Retiring old logins, at the end of stage `flip`: a role consumers moved away from (e.g. a
 * superuser application login) or one an earlier plan created that left the spec is made
 * NOLOGIN, and NOSUPERUSER when it was a superuser, once no session of it is left. The undo
 * gives back exactly the LOGIN and SUPERUSER it had. `keep: [role]` in the spec spares one.
 * pgharden never drops a role.
 */
import { retirements } from './delta.js';
import type { PlanInput } from './input.js';
import { idPart } from './stage-roles.js';
import { quoteIdent } from './templates.js';
import type { Step } from './plan-types.js';

export function retireSteps(input: PlanInput): Step[] {
  return retirements(input).flatMap((r) => {
    const attrs = r.superuser ? 'NOLOGIN NOSUPERUSER' : 'NOLOGIN';
    const back = r.superuser ? 'LOGIN SUPERUSER' : 'LOGIN';
    return [
      {
        id: `flip/drain-${idPart(r.role)}`,
        stage: 'flip',
        kind: 'gate',
        description: `Wait until no session of ${r.role} is left (up to ${r.drainTimeout} s; then stop with the list of stragglers), before it is retired`,
        forward: { do: 'gate', until: { gate: 'no-old-sessions', user: r.role }, timeoutMs: r.drainTimeout * 1000 },
        verify: [],
        undo: null,
        before: [{ of: 'none' }],
        after: [{ of: 'none' }],
        transactional: false,
        restartRequired: false,
      },
      {
        id: `flip/retire-${idPart(r.role)}`,
        stage: 'flip',
        kind: 'sql',
        description: `Retire ${r.role} (${r.superuser ? 'SUPERUSER ' : ''}LOGIN): ${r.why}, and no session of it is left; ALTER ROLE ${attrs} (the undo gives back ${back}; the role and its grants stay; keep it with keep: [${r.role}] in the spec)`,
        forward: { do: 'sql', database: 'postgres', statements: [`ALTER ROLE ${quoteIdent(r.role)} ${attrs}`] },
        verify: [],
        undo: { do: 'sql', database: 'postgres', statements: [`ALTER ROLE ${quoteIdent(r.role)} ${back}`] },
        before: [{ of: 'role-attrs', name: r.role, login: true, superuser: r.superuser }],
        after: [{ of: 'role-attrs', name: r.role, login: false, superuser: false }],
        transactional: true,
        restartRequired: false,
      },
    ] satisfies Step[];
  });
}
