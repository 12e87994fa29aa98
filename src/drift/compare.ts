/**
 * Drift's comparison: a pure function from the desired state and what was observed to the list of
 * differences, each with evidence and a fix. No I/O: `observe.ts` gathers, this judges.
 */
import type { RoleFacts } from '../cluster/introspect.js';
import { loginsOf } from '../plan/rotate-partner.js';
import { quoteIdent } from '../plan/templates.js';
import { hbaDifferences } from './compare-hba.js';
import type { DesiredRole, DesiredState, Difference, Observed } from './drift-types.js';

const PSQL = (sql: string) => `psql -c ${`'${sql.replaceAll("'", `'\\''`)}'`}`;
const ATTRIBUTES = ['superuser', 'createrole', 'createdb', 'replication', 'bypassrls'] as const;
const octal = (m: number) => m.toString(8).padStart(4, '0');

function roleDifferences(desired: DesiredState, roles: readonly RoleFacts[]): Difference[] {
  const out: Difference[] = [];
  const byName = new Map(roles.map((r) => [r.name, r]));
  for (const want of desired.roles) {
    const r = byName.get(want.name);
    if (!r) {
      out.push({
        kind: 'role',
        object: `role ${want.name}`,
        expected: `exists (${want.template} on ${want.databases.join(', ')})`,
        actual: 'missing',
        evidence: [`pg_roles has no role "${want.name}"`],
        fix: desired.replan,
      });
      continue;
    }
    for (const name of loginsOf(want.name)) {
      const login = byName.get(name);
      if (!login) continue;
      for (const a of ATTRIBUTES.filter((x) => login[x]))
        out.push({
          kind: 'role-attribute',
          object: `role ${name}`,
          expected: `NO${a.toUpperCase()}`,
          actual: a.toUpperCase(),
          evidence: [`pg_roles.rol${a === 'superuser' ? 'super' : a} = true for "${name}"`],
          fix: PSQL(`ALTER ROLE ${quoteIdent(name)} NO${a.toUpperCase()}`),
        });
    }
    if (!loginsOf(want.name).some((n) => byName.get(n)?.login))
      out.push({
        kind: 'role-attribute',
        object: `role ${want.name}`,
        expected: 'LOGIN',
        actual: 'NOLOGIN',
        evidence: [`neither ${loginsOf(want.name).join(' nor ')} can log in`],
        fix: PSQL(`ALTER ROLE ${quoteIdent(want.name)} LOGIN`),
      });
  }
  return out;
}

/** The privileges a role should hold on a table of its schema. */
function expectedPrivileges(role: DesiredRole, table: string, granted: readonly string[]): Set<string> {
  const all = granted.includes('all') ? ['select', 'insert', 'update', 'delete', 'truncate'] : granted;
  const readOnly = role.readOnlyTables.some((t) => (t.includes('.') ? t : `${role.schema}.${t}`) === table);
  return new Set(readOnly ? all.filter((p) => p === 'select') : all);
}

const qualifiedTable = (t: string) => {
  const [schema, name] = t.split('.', 2) as [string, string];
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
};

function grantDifferences(desired: DesiredState, o: Observed): Difference[] {
  const out: Difference[] = [];
  for (const g of o.grants) {
    const role = desired.roles.find((r) => r.name === g.role);
    const template = role && o.templates.get(role.template);
    if (!role || !template || g.error) continue;
    const object = (what: string) => `role ${g.role} in ${g.database}: ${what}`;
    if (!g.connect)
      out.push({
        kind: 'grant',
        object: object(`database ${g.database}`),
        expected: 'CONNECT',
        actual: 'no CONNECT',
        evidence: [`has_database_privilege('${g.role}', '${g.database}', 'CONNECT') = false`],
        fix: PSQL(`GRANT CONNECT ON DATABASE ${quoteIdent(g.database)} TO ${quoteIdent(g.role)}`),
      });
    if (g.createInSchema && !template.createsInSchema)
      out.push({
        kind: 'grant',
        object: object(`schema ${role.schema}`),
        expected: 'no CREATE',
        actual: 'CREATE',
        evidence: [`has_schema_privilege('${g.role}', '${role.schema}', 'CREATE') = true`],
        fix: `psql -d ${g.database} -c 'REVOKE CREATE ON SCHEMA ${quoteIdent(role.schema)} FROM ${quoteIdent(g.role)}'`,
      });
    for (const t of g.tables) {
      const want = expectedPrivileges(role, t.table, template.tablePrivileges);
      const extra = t.privileges.filter((p) => !want.has(p));
      const missing = [...want].filter((p) => !t.privileges.includes(p));
      if (extra.length)
        out.push({
          kind: 'grant',
          object: object(`table ${t.table}`),
          expected: [...want].join(', ').toUpperCase() || 'no privilege',
          actual: t.privileges.join(', ').toUpperCase(),
          evidence: [`${g.role} holds ${extra.join(', ').toUpperCase()} on ${t.table} (has_table_privilege)`],
          fix: `psql -d ${g.database} -c 'REVOKE ${extra.join(', ').toUpperCase()} ON ${qualifiedTable(t.table)} FROM ${quoteIdent(g.role)}'`,
        });
      if (missing.length)
        out.push({
          kind: 'grant',
          object: object(`table ${t.table}`),
          expected: [...want].join(', ').toUpperCase(),
          actual: t.privileges.join(', ').toUpperCase() || 'no privilege',
          evidence: [`${g.role} lacks ${missing.join(', ').toUpperCase()} on ${t.table} (has_table_privilege)`],
          fix: `psql -d ${g.database} -c 'GRANT ${missing.join(', ').toUpperCase()} ON ${qualifiedTable(t.table)} TO ${quoteIdent(g.role)}'`,
        });
    }
  }
  return out;
}

function settingDifferences(o: Observed): Difference[] {
  const v = o.snapshot.settings.password_encryption;
  if (v === null || v === undefined || v === 'scram-sha-256') return [];
  return [
    {
      kind: 'password-encryption',
      object: 'password_encryption',
      expected: 'scram-sha-256',
      actual: v,
      evidence: [`SHOW password_encryption = ${v}`],
      fix: `${PSQL("ALTER SYSTEM SET password_encryption = 'scram-sha-256'")} && ${PSQL('SELECT pg_reload_conf()')}`,
    },
  ];
}

function modeDifferences(desired: DesiredState, o: Observed): Difference[] {
  return desired.fileModes.flatMap((want) => {
    const now = o.fileModes.find((f) => f.path === want.path)?.mode;
    if (now === undefined || now === null || (now & ~want.mode & 0o777) === 0) return [];
    return [
      {
        kind: 'file-mode' as const,
        object: want.path,
        expected: `${octal(want.mode)} or stricter`,
        actual: octal(now),
        evidence: [`${want.path}: mode ${octal(now)}`],
        fix: `chmod ${octal(want.mode)} '${want.path}'`,
      },
    ];
  });
}

function consumerDifferences(desired: DesiredState, o: Observed): Difference[] {
  return o.consumers.flatMap((c) => {
    const want = desired.consumers.find((x) => x.name === c.name);
    if (!want) return [];
    const ok = c.user !== null && loginsOf(want.role).includes(c.user);
    if (ok && !c.error) return [];
    return [
      {
        kind: 'consumer-dsn' as const,
        object: `consumer ${c.name}`,
        expected: `connects as ${want.role}`,
        actual: c.error ?? `connects as ${c.user ?? '(no user: the OS user name)'}`,
        evidence: [c.line !== null ? `${c.path}:${c.line}: user ${c.user ?? '(none)'}` : `${c.path}: ${c.error ?? ''}`],
        fix: `pgharden plan --spec SPEC --rotate ${want.role} (rewrites ${c.path} with a new password), or ${desired.replan}`,
      },
    ];
  });
}

/** Every difference between the live cluster and the desired state; empty when in sync. */
export function compare(desired: DesiredState, o: Observed): Difference[] {
  return [
    ...hbaDifferences(o.snapshot, desired, o.hbaText),
    ...roleDifferences(desired, o.snapshot.roles),
    ...grantDifferences(desired, o),
    ...settingDifferences(o),
    ...modeDifferences(desired, o),
    ...consumerDifferences(desired, o),
  ];
}
