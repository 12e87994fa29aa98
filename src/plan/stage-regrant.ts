/**
 * Day two, stage `roles`: a role the spec names that exists already is taken over as it is (no
 * CREATE, its password kept). Where its table privileges differ from what its template and
 * readOnlyTables give, it gets only REVOKE and GRANT: every table privilege in the schema is
 * revoked, then the template's grants and the read-only revokes are run again. The undo puts back
 * the exact privileges it held, table by table.
 */
import { regrants } from './delta.js';
import type { PlanInput } from './input.js';
import { idPart, qualified } from './stage-roles.js';
import { instantiateStatements, quoteIdent } from './templates.js';
import type { Step } from './plan-types.js';

export function regrantSteps(input: PlanInput): Step[] {
  return regrants(input).map(({ role: r, database: db, now, differs }) => {
    const template = input.templates.get(r.template)!;
    const revokeAll = `REVOKE ALL ON ALL TABLES IN SCHEMA ${quoteIdent(r.schema)} FROM ${quoteIdent(r.name)}`;
    const readOnly = r.readOnlyTables.map(
      (t) => `REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON TABLE ${qualified(t, r.schema)} FROM ${quoteIdent(r.name)}`,
    );
    const restore = Object.entries(now).map(
      ([table, privs]) =>
        `GRANT ${privs.map((p) => p.toUpperCase()).join(', ')} ON TABLE ${table} TO ${quoteIdent(r.name)}`,
    );
    return {
      id: `roles/regrant-${idPart(r.name)}-${idPart(db)}`,
      stage: 'roles',
      kind: 'sql',
      description: `Role ${r.name} exists (taken over, its password kept); its table privileges in database ${db} differ from "${r.template}"${r.readOnlyTables.length ? ` with ${r.readOnlyTables.join(', ')} read-only` : ''} on ${differs.join(', ')}: REVOKE and GRANT only`,
      forward: {
        do: 'sql',
        database: db,
        statements: [
          revokeAll,
          ...instantiateStatements(template, { role: r.name, database: db, schema: r.schema }),
          ...readOnly,
        ],
      },
      verify: [],
      undo: { do: 'sql', database: db, statements: [revokeAll, ...restore] },
      // Revoking and granting again is idempotent: a resumed run simply runs it again.
      before: [{ of: 'none' }],
      after: [{ of: 'none' }],
      transactional: true,
      restartRequired: false,
    } satisfies Step;
  });
}
