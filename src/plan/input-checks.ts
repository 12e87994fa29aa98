/**
 * What the planner refuses before it plans, every reason at once (exit 2): names pg_hba.conf
 * cannot hold, an admin role that is no superuser, roles, databases, schemas and tables the spec
 * names that are not as it says, includes pgharden does not edit, error lines in pg_hba.conf.
 */
import { rowFailure } from '../conf/hba-failures.js';
import type { PlanInput } from './input.js';
import { qualified } from './stage-roles.js';

/** Every reason the input cannot be planned (empty when it can). */
export function inputProblems(input: PlanInput): string[] {
  const out: string[] = [];
  const s = input.snapshot;
  const loaded = s.hba.loaded;
  if (loaded && loaded.files.size > 1) {
    out.push(
      `${input.hba.file} includes other files (${[...loaded.files.keys()].slice(1).join(', ')}); pgharden edits one pg_hba.conf: merge them into it first`,
    );
  }
  for (const row of loaded?.rows ?? []) {
    const error = rowFailure(loaded!, row);
    if (error)
      out.push(`${row.file}:${row.line_number}: ${error}; fix the line first (pgharden inspect hba ${row.file})`);
  }
  const roleNames = new Set(s.roles.map((r) => r.name));
  out.push(...unwritableNames(input));
  const admin = s.roles.find((r) => r.name === input.serverUser.name);
  if (admin && !admin.superuser) {
    out.push(
      `the admin role "${admin.name}" (the server's OS user, which pgharden's admin path logs in as over the local socket) is not a superuser, so apply could not create roles, reload or read pg_hba_file_rules; make it one (ALTER ROLE "${admin.name}" SUPERUSER) or run the server as the bootstrap superuser's OS user`,
    );
  }
  if (!roleNames.has(input.serverUser.name)) {
    out.push(
      `the server runs as OS user "${input.serverUser.name}" but no role of that name exists, so "local ... peer" would give pgharden no admin path after the flip; create it (CREATE ROLE "${input.serverUser.name}" SUPERUSER LOGIN) or run the server as the bootstrap superuser's OS user`,
    );
  }
  input.spec.roles.forEach((r, i) => {
    const live = s.roles.find((x) => x.name === r.name);
    const extra = live
      ? (['superuser', 'createrole', 'createdb', 'replication', 'bypassrls'] as const).filter((a) => live[a])
      : [];
    if (live && (!live.login || extra.length))
      out.push(
        `roles[${i}].name: role "${r.name}" exists with ${[...(live.login ? [] : ['NOLOGIN']), ...extra.map((a) => a.toUpperCase())].join(' ')}, which a least-privilege login does not have; pgharden takes over an existing role only as it is: change it first (ALTER ROLE "${r.name}" LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS), or choose another name`,
      );
    if (!input.templates.has(r.template))
      out.push(
        `roles[${i}].template: no template "${r.template}" (available: ${[...input.templates.keys()].join(', ')})`,
      );
    for (const db of r.databases) {
      if (!s.databases.includes(db)) {
        out.push(
          `roles[${i}].databases: database "${db}" does not exist or does not allow connections (there are: ${s.databases.join(', ')})`,
        );
        continue;
      }
      if (input.schemas?.has(db) && !input.schemas.get(db)!.includes(r.schema)) {
        out.push(
          `roles[${i}].schema: no schema "${r.schema}" in database "${db}"; create it first (CREATE SCHEMA), or name an existing one`,
        );
        continue;
      }
      const tables = input.tables.get(db) ?? [];
      for (const t of r.readOnlyTables) {
        if (!tables.some((x) => qualified(`${x.schema}.${x.name}`, r.schema) === qualified(t, r.schema))) {
          out.push(
            `roles[${i}].readOnlyTables: no table "${t}" in database "${db}" (schema ${t.includes('.') ? t.split('.')[0] : r.schema})`,
          );
        }
      }
    }
  });
  input.consumers.forEach((c) => {
    const to = input.spec.consumers.find((x) => x.name === c.name)?.role;
    // A role pgharden did not create in this plan: its password is not pgharden's to know.
    if (to && roleNames.has(to))
      out.push(
        `consumer "${c.name}" would move from ${c.oldUser} to role "${to}", which exists already: pgharden never reads back a password, so moving a consumer onto an existing role means giving that role a new password and rewriting every consumer of it (a rotation: pgharden plan --spec FILE --rotate ${to}); or point the consumer at a new role`,
      );
    const role = input.spec.roles.find((r) => r.name === input.spec.consumers.find((x) => x.name === c.name)?.role);
    if (role && c.database && !role.databases.includes(c.database)) {
      out.push(
        `consumer "${c.name}" connects to database "${c.database}" (${c.path}), but role "${role.name}" is given only ${role.databases.join(', ')}; add "${c.database}" to its databases`,
      );
    }
  });
  return out;
}

/** Names pgharden would write into pg_hba.conf that its bytes cannot hold. */
function unwritableNames(input: PlanInput): string[] {
  const out: string[] = [];
  const latin1 = input.hba.encoding === 'latin1';
  const names = [
    ...input.spec.roles.flatMap((r, i) => [
      [`roles[${i}].name`, r.name],
      ...r.databases.map((d) => [`roles[${i}].databases`, d]),
    ]),
    ...input.snapshot.roles.filter((r) => r.superuser && r.login).map((r) => ['superuser', r.name]),
    ['admin role', input.serverUser.name],
  ] as [string, string][];
  for (const [what, name] of names) {
    if (/[\u0000-\u001f\u007f]/u.test(name))
      out.push(
        `${what}: ${JSON.stringify(name)} holds a control character, which no pg_hba.conf line can hold; rename it first (ALTER ROLE ... RENAME TO ...)`,
      );
    else if (latin1 && /[^\u0000-\u00ff]/u.test(name))
      out.push(
        `${what}: "${name}" cannot be written into ${input.hba.file}, which is not UTF-8 (read as Latin-1, one byte per character); convert the file to UTF-8 first (iconv -f latin1 -t utf8), or choose a name in Latin-1`,
      );
  }
  return out;
}
