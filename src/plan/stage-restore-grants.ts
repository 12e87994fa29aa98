/**
 * Day two, stage `roles`: a taken-over role's grants beyond its table privileges, compared with
 * what its template gives. A sequence privilege someone revoked, a default privilege (ALTER DEFAULT
 * PRIVILEGES IN SCHEMA) someone removed, or a membership (GRANT group TO role) someone dropped gets
 * exactly the GRANT or ALTER DEFAULT PRIVILEGES that restores it; a sequence privilege beyond the
 * template's is revoked. The undo takes back exactly what the step changed. Nothing when converged.
 */
import { existingRole } from './delta.js';
import type { PlanInput } from './input.js';
import { idPart } from './stage-roles.js';
import { quoteIdent } from './templates.js';
import type { Step } from './plan-types.js';

const upper = (privs: readonly string[]) => privs.map((p) => p.toUpperCase()).join(', ');
const OBJECTS = { tables: 'TABLES', sequences: 'SEQUENCES' } as const;

/** What differs for one role in one database: the statements that restore it, their undo and the reasons. */
interface Restore {
  forward: string[];
  undo: string[];
  differs: string[];
}

function perDatabase(input: PlanInput, roleName: string, db: string): Restore {
  const r = input.spec.roles.find((x) => x.name === roleName)!;
  const t = input.templates.get(r.template)!;
  const live = input.grants?.get(r.name)?.perDatabase.get(db);
  const out: Restore = { forward: [], undo: [], differs: [] };
  if (!live) return out;
  const role = quoteIdent(r.name);
  const want = t.sequencePrivileges ?? [];
  for (const [seq, now] of Object.entries(live.sequences).sort(([a], [b]) => a.localeCompare(b))) {
    const missing = want.filter((p) => !now.includes(p));
    const extra = now.filter((p) => !want.includes(p));
    if (missing.length) {
      out.forward.push(`GRANT ${upper(missing)} ON SEQUENCE ${seq} TO ${role}`);
      out.undo.push(`REVOKE ${upper(missing)} ON SEQUENCE ${seq} FROM ${role}`);
      out.differs.push(`${seq} lacks ${upper(missing)}`);
    }
    if (extra.length) {
      out.forward.push(`REVOKE ${upper(extra)} ON SEQUENCE ${seq} FROM ${role}`);
      out.undo.push(`GRANT ${upper(extra)} ON SEQUENCE ${seq} TO ${role}`);
      out.differs.push(`${seq} holds ${upper(extra)} beyond the template`);
    }
  }
  for (const d of t.defaultPrivileges ?? []) {
    const missing = d.privileges.filter((p) => !live.defaults[d.objects].includes(p));
    if (!missing.length) continue;
    const head = `ALTER DEFAULT PRIVILEGES IN SCHEMA ${quoteIdent(r.schema)}`;
    out.forward.push(`${head} GRANT ${upper(missing)} ON ${OBJECTS[d.objects]} TO ${role}`);
    out.undo.push(`${head} REVOKE ${upper(missing)} ON ${OBJECTS[d.objects]} FROM ${role}`);
    out.differs.push(`default privileges on new ${d.objects} lack ${upper(missing)}`);
  }
  return out;
}

function step(id: string, db: string, description: string, r: Restore): Step {
  return {
    id,
    stage: 'roles',
    kind: 'sql',
    description,
    forward: { do: 'sql', database: db, statements: r.forward },
    verify: [],
    // The undo runs in reverse order of the journal, so its statements run in reverse too.
    undo: { do: 'sql', database: db, statements: [...r.undo].reverse() },
    // GRANT and REVOKE are idempotent: a resumed run simply runs the step again.
    before: [{ of: 'none' }],
    after: [{ of: 'none' }],
    transactional: true,
    restartRequired: false,
  };
}

/** The steps that restore taken-over roles' memberships, sequence privileges and default privileges. */
export function restoreGrantSteps(input: PlanInput): Step[] {
  const steps: Step[] = [];
  for (const r of input.spec.roles) {
    if (!existingRole(input, r.name)) continue;
    const t = input.templates.get(r.template)!;
    const groups = (t.memberOf ?? []).filter((g) => !input.grants?.get(r.name)?.memberOf.includes(g));
    if (groups.length && input.grants?.has(r.name)) {
      const names = groups.map(quoteIdent).join(', ');
      steps.push(
        step(
          `roles/restore-membership-${idPart(r.name)}`,
          'postgres',
          `Role ${r.name} exists (taken over); "${r.template}" makes it a member of ${groups.join(', ')}, which it is not: GRANT only`,
          {
            forward: [`GRANT ${names} TO ${quoteIdent(r.name)}`],
            undo: [`REVOKE ${names} FROM ${quoteIdent(r.name)}`],
            differs: [],
          },
        ),
      );
    }
    for (const db of r.databases) {
      const restore = perDatabase(input, r.name, db);
      if (!restore.forward.length) continue;
      steps.push(
        step(
          `roles/restore-grants-${idPart(r.name)}-${idPart(db)}`,
          db,
          `Role ${r.name} exists (taken over); in database ${db} its grants differ from "${r.template}": ${restore.differs.join('; ')}. Only the statements that restore them`,
          restore,
        ),
      );
    }
  }
  return steps;
}
