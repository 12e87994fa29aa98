/**
 * Stage `roles`: the least-privilege roles, created while the old rules still let everyone in
 * (nothing can break yet). Each role gets a SCRAM verifier computed client-side (the SQL holds
 * only `<secret:ROLE>`), its template's grants per database, and a mark: a comment on the role,
 * written in the step's own transaction, that tells a resumed run the step committed.
 */
import { instantiateStatements, quoteIdent } from './templates.js';
import { regrantSteps } from './stage-regrant.js';
import { restoreGrantSteps } from './stage-restore-grants.js';
import { rolesToCreate } from './delta.js';
import type { PlanInput } from './input.js';
import { autoConfUndo } from './stage-network.js';
import { secretToken, type Step } from './plan-types.js';
import { step } from './step.js';

/** A SQL string literal (standard_conforming_strings on). */
export const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * A name as it appears in a step id. A resumed run finds a committed step by splitting its role's
 * mark comment on whitespace, so an id never holds any; "-" separates role from database.
 */
export const idPart = (name: string) => name.replace(/[\s%-]/gu, (c) => encodeURIComponent(c).replace(/^-$/, '%2D'));

/** The comment that marks which of a role's steps have committed. */
export function markComment(plan: string, steps: string[]): string {
  return `pgharden plan ${plan}: ${steps.join(' ')}`;
}

/** A dollar-quoted body whose tag does not occur in it (a role name may hold "$$"). */
export function dollarQuoted(body: string): string {
  let tag = '$pgharden$';
  for (let i = 1; body.includes(tag); i++) tag = `$pgharden${i}$`;
  return `${tag}${body}${tag}`;
}

/**
 * Undo for a role's grants in one database: refuses while the role owns anything there. The role
 * is looked up by its exact name in pg_roles: a `'Name'::regrole` cast would parse the text as an
 * identifier, folding case (AppUser is appuser) or failing on quotes and spaces (42602).
 */
export function revokeAll(role: string): string[] {
  return [
    `DO ${dollarQuoted(`BEGIN IF EXISTS (SELECT 1 FROM pg_shdepend d JOIN pg_database db ON db.oid = d.dbid WHERE d.refobjid = (SELECT oid FROM pg_roles WHERE rolname = ${literal(role)}) AND d.refclassid = 'pg_authid'::regclass AND d.deptype = 'o' AND db.datname = current_database()) THEN RAISE EXCEPTION 'role % owns objects in database %; it is kept, with its privileges', ${literal(role)}, current_database(); END IF; END`)}`,
    `DROP OWNED BY ${quoteIdent(role)}`,
  ];
}

export function roleSteps(input: PlanInput): Step[] {
  const steps: Step[] = [];
  for (const r of rolesToCreate(input)) {
    const template = input.templates.get(r.template)!;
    const createId = `roles/create-${idPart(r.name)}`;
    const done = [createId];
    steps.push(
      step({
        id: createId,
        stage: 'roles',
        kind: 'sql',
        description: `Create role ${r.name} (LOGIN; no SUPERUSER, CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS) with a SCRAM-SHA-256 verifier computed by pgharden`,
        forward: {
          do: 'sql',
          database: 'postgres',
          statements: [
            `CREATE ROLE ${quoteIdent(r.name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD '${secretToken(r.name)}'`,
            `COMMENT ON ROLE ${quoteIdent(r.name)} IS ${literal(markComment(input.name, done))}`,
          ],
        },
        undo: { do: 'sql', database: 'postgres', statements: [`DROP ROLE IF EXISTS ${quoteIdent(r.name)}`] },
        before: [{ of: 'role', name: r.name, exists: false }],
        after: [
          { of: 'role', name: r.name, exists: true },
          { of: 'mark', role: r.name, step: createId, present: true },
        ],
        transactional: true,
      }),
    );
    for (const db of r.databases) {
      const id = `roles/grant-${idPart(r.name)}-${idPart(db)}`;
      done.push(id);
      const grants = instantiateStatements(template, { role: r.name, database: db, schema: r.schema });
      // Tables that stay read-only (e.g. a kill switch): the template granted writes on every table.
      const readOnly = r.readOnlyTables.map(
        (t) => `REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON TABLE ${qualified(t, r.schema)} FROM ${quoteIdent(r.name)}`,
      );
      steps.push(
        step({
          id,
          stage: 'roles',
          kind: 'sql',
          description: `Grant ${r.name} the "${r.template}" privileges in database ${db}, schema ${r.schema}${r.readOnlyTables.length ? `; ${r.readOnlyTables.join(', ')} ${r.readOnlyTables.length === 1 ? 'stays' : 'stay'} read-only` : ''}`,
          forward: {
            do: 'sql',
            database: db,
            statements: [
              ...grants,
              ...readOnly,
              `COMMENT ON ROLE ${quoteIdent(r.name)} IS ${literal(markComment(input.name, done))}`,
            ],
          },
          undo: { do: 'sql', database: db, statements: revokeAll(r.name) },
          before: [{ of: 'mark', role: r.name, step: id, present: false }],
          after: [{ of: 'mark', role: r.name, step: id, present: true }],
          transactional: true,
        }),
      );
    }
  }
  steps.push(...regrantSteps(input), ...restoreGrantSteps(input));
  const pe = input.autoConf.settings.password_encryption ?? null;
  // Only when the server would not already store new passwords as SCRAM: an unneeded ALTER SYSTEM is one more thing to undo.
  if (input.snapshot.settings.password_encryption !== 'scram-sha-256') {
    steps.push(
      step({
        id: 'roles/password-encryption',
        stage: 'roles',
        kind: 'sql',
        description: `Store every password set from now on as a SCRAM-SHA-256 verifier (password_encryption is ${input.snapshot.settings.password_encryption ?? 'unknown'}; ALTER SYSTEM writes postgresql.auto.conf; takes effect at the next reload)`,
        forward: {
          do: 'sql',
          database: 'postgres',
          statements: ["ALTER SYSTEM SET password_encryption = 'scram-sha-256'"],
        },
        undo: autoConfUndo(input, 'password_encryption'),
        before: [{ of: 'auto-setting', name: 'password_encryption', value: pe }],
        after: [{ of: 'auto-setting', name: 'password_encryption', value: 'scram-sha-256' }],
        // ALTER SYSTEM cannot run inside a transaction block.
      }),
    );
  }
  return steps;
}

/** `schema.table` from a spec entry that may or may not name its schema. */
export function qualified(table: string, schema: string): string {
  const dot = table.indexOf('.');
  return dot === -1
    ? `${quoteIdent(schema)}.${quoteIdent(table)}`
    : `${quoteIdent(table.slice(0, dot))}.${quoteIdent(table.slice(dot + 1))}`;
}
