/**
 * Role templates (`templates/roles/*.sql`): SQL with `:role`, `:database` and `:schema`
 * placeholders, checked with the real PostgreSQL grammar (libpg-query) when loaded. A template
 * of kind `app` may only grant row privileges (SELECT/INSERT/UPDATE/DELETE), USAGE and CONNECT to
 * the role it is for: anything that hands an application DDL or ownership is refused, quoting
 * the statement.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InputError } from '../core/errors.js';
import { listShipped, readShipped, shippedName } from '../core/shipped.js';

/** The package-relative directory of the templates shipped with pgharden (files or executable assets). */
export const BUILTIN_TEMPLATES_DIR = 'templates/roles';

export interface RoleTemplate {
  name: string;
  file: string;
  /** `app`: may not hold DDL or ownership. `owner`: owns schema objects (migrations). */
  kind: 'app' | 'owner';
  /** The SQL with placeholders, as written. */
  sql: string;
  /** Its statements, split where the grammar says they end (placeholders kept, comments dropped). */
  statements: string[];
  /** Privileges it grants on all tables of the schema (`select`, `insert`, ...; `all` for ALL): what verification expects to work. */
  tablePrivileges: string[];
  /** It grants CREATE on the schema: verification expects DDL to work. */
  createsInSchema: boolean;
  /** Privileges it grants on all sequences of the schema (`usage`, `select`, `update`): what a delta plan compares. */
  sequencePrivileges?: string[];
  /** Its ALTER DEFAULT PRIVILEGES IN SCHEMA :schema grants to :role (no FOR ROLE): objects and privileges. */
  defaultPrivileges?: DefaultGrant[];
  /** Roles it makes :role a member of (GRANT name TO :role). */
  memberOf?: string[];
}

/** One ALTER DEFAULT PRIVILEGES IN SCHEMA :schema GRANT … ON TABLES|SEQUENCES TO :role of a template. */
export interface DefaultGrant {
  objects: 'tables' | 'sequences';
  /** Sorted, lower-case; `all` spelled out. */
  privileges: string[];
}

const SEQUENCE_ALL = ['select', 'update', 'usage'];
const TABLE_ALL = ['delete', 'insert', 'references', 'select', 'trigger', 'truncate', 'update'];

/** A template that cannot be used, with the statement that made it so. */
export class TemplateError extends InputError {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`Role template "${file}": ${message}`);
  }
}

const PLACEHOLDER = /(?<!:):(role|database|schema)\b/g;
/** Privileges an application role may hold (lower-case, as the grammar spells them). */
const APP_PRIVILEGES = new Set(['select', 'insert', 'update', 'delete', 'usage', 'connect']);

/** A quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

type Values = { role: string; database: string; schema: string };

/** The template's SQL for one role, database and schema. */
export function instantiate(t: Pick<RoleTemplate, 'sql'>, values: Values): string {
  return t.sql.replace(PLACEHOLDER, (_, key: keyof Values) => quoteIdent(values[key]));
}

/** The template's statements for one role, database and schema. */
export function instantiateStatements(t: RoleTemplate, values: Values): string[] {
  return t.statements.map((s) => instantiate({ sql: s }, values));
}

type Stmt = Record<string, Record<string, unknown>>;

/** A statement's text: the parser's locations count bytes of UTF-8, not UTF-16 code units. */
function statementText(sql: string, stmt: { stmt_location?: number; stmt_len?: number }): string {
  const bytes = Buffer.from(sql, 'utf8');
  const start = stmt.stmt_location ?? 0;
  const text = bytes.subarray(start, stmt.stmt_len ? start + stmt.stmt_len : undefined).toString('utf8');
  return text.replace(/^(\s*--[^\n]*\n)*/, '').trim();
}

/** Why an app template may not contain this statement, or undefined when it may. */
function appViolation(kind: string, body: Record<string, unknown>): string | undefined {
  if (kind === 'GrantStmt' || kind === 'AlterDefaultPrivilegesStmt') {
    // ALTER DEFAULT PRIVILEGES carries its GRANT as `action`, with the GrantStmt fields unwrapped.
    const grant = (kind === 'GrantStmt' ? body : body.action) as {
      is_grant?: boolean;
      privileges?: { AccessPriv: { priv_name?: string } }[];
      grant_option?: boolean;
    };
    if (!grant.is_grant) return undefined; // REVOKE only takes away
    if (grant.grant_option) return 'grants WITH GRANT OPTION to an application role';
    if (!grant.privileges)
      return 'grants ALL PRIVILEGES (which include CREATE, TRUNCATE, REFERENCES and TRIGGER) to an application role';
    const bad = grant.privileges.map((p) => p.AccessPriv.priv_name ?? 'all').filter((p) => !APP_PRIVILEGES.has(p));
    return bad.length ? `grants ${bad.map((p) => p.toUpperCase()).join(', ')} to an application role` : undefined;
  }
  if (kind === 'AlterOwnerStmt' || kind === 'AlterTableStmt' || kind === 'ReassignOwnedStmt')
    return 'hands ownership or DDL to an application role';
  if (kind === 'GrantRoleStmt') return 'makes the application role a member of another role';
  return `runs ${kind.replace(/Stmt$/, '')}, which an application role template may not contain`;
}

/** Parses and checks a template's text. */
export async function checkTemplate(file: string, sql: string): Promise<RoleTemplate> {
  const name = basename(file, '.sql');
  const kind = /^--\s*kind:\s*(app|owner)\s*$/m.exec(sql)?.[1] as 'app' | 'owner' | undefined;
  if (!kind) throw new TemplateError(file, 'needs a "-- kind: app" or "-- kind: owner" line');
  const { parse } = await import('libpg-query');
  // Each placeholder becomes an identifier of the same length, so statement offsets in the
  // parse tree are offsets in the template itself.
  const sample = sql.replace(PLACEHOLDER, (m) => `_${m.slice(1)}`);
  let tree: { stmts?: { stmt: Stmt; stmt_location?: number; stmt_len?: number }[] };
  try {
    tree = (await parse(sample)) as unknown as typeof tree;
  } catch (err) {
    throw new TemplateError(file, `is not valid SQL: ${(err as Error).message}`);
  }
  if (kind === 'app') {
    for (const s of tree.stmts ?? []) {
      const [stmtKind, body] = Object.entries(s.stmt)[0]!;
      const why = appViolation(stmtKind, body);
      if (why) throw new TemplateError(file, `${why}: ${statementText(sql, s)}`);
    }
  }
  const statements = (tree.stmts ?? []).map((s) => statementText(sql, s));
  if (statements.length === 0) throw new TemplateError(file, 'has no statements');
  const tablePrivileges = new Set<string>();
  let createsInSchema = false;
  for (const s of tree.stmts ?? []) {
    const g = (
      s.stmt as {
        GrantStmt?: {
          is_grant?: boolean;
          targtype?: string;
          objtype?: string;
          privileges?: { AccessPriv: { priv_name?: string } }[];
        };
      }
    ).GrantStmt;
    if (!g?.is_grant) continue;
    const privs = g.privileges?.map((p) => p.AccessPriv.priv_name ?? 'all') ?? ['all'];
    if (g.objtype === 'OBJECT_TABLE' && g.targtype === 'ACL_TARGET_ALL_IN_SCHEMA')
      for (const p of privs) tablePrivileges.add(p);
    if (g.objtype === 'OBJECT_SCHEMA' && (privs.includes('create') || privs.includes('all'))) createsInSchema = true;
  }
  return {
    name,
    file,
    kind,
    sql,
    statements,
    tablePrivileges: [...tablePrivileges].sort(),
    createsInSchema,
    ...grantsOf(tree.stmts ?? []),
  };
}

type AccessPrivs = { AccessPriv: { priv_name?: string } }[] | undefined;
const ROLE_SAMPLE = '_role';
const SCHEMA_SAMPLE = '_schema';
const grantsRole = (grantees: unknown) =>
  (grantees as { RoleSpec?: { rolename?: string } }[] | undefined)?.some((g) => g.RoleSpec?.rolename === ROLE_SAMPLE) ??
  false;
const spelled = (privs: AccessPrivs, all: string[]) =>
  [...new Set(privs ? privs.flatMap((p) => (p.AccessPriv.priv_name ? [p.AccessPriv.priv_name] : all)) : all)].sort();

/** The sequence privileges, default privileges and memberships a template's statements give :role. */
function grantsOf(
  stmts: { stmt: Stmt }[],
): Pick<RoleTemplate, 'sequencePrivileges' | 'defaultPrivileges' | 'memberOf'> {
  const sequences = new Set<string>();
  const defaults: DefaultGrant[] = [];
  const memberOf: string[] = [];
  for (const { stmt } of stmts) {
    const [kind, body] = Object.entries(stmt)[0]!;
    if (kind === 'GrantStmt') {
      const g = body as {
        is_grant?: boolean;
        targtype?: string;
        objtype?: string;
        privileges?: AccessPrivs;
        grantees?: unknown;
      };
      if (
        g.is_grant &&
        g.objtype === 'OBJECT_SEQUENCE' &&
        g.targtype === 'ACL_TARGET_ALL_IN_SCHEMA' &&
        grantsRole(g.grantees)
      )
        for (const p of spelled(g.privileges, SEQUENCE_ALL)) sequences.add(p);
    } else if (kind === 'AlterDefaultPrivilegesStmt') {
      const d = body as {
        options?: { DefElem: { defname: string; arg?: { List?: { items: { String: { sval: string } }[] } } } }[];
        action: { is_grant?: boolean; objtype?: string; privileges?: AccessPrivs; grantees?: unknown };
      };
      const opts = d.options ?? [];
      // Only IN SCHEMA :schema, for the role that runs it (no FOR ROLE): the form a plan can compare.
      const schemaOnly =
        opts.length === 1 &&
        opts[0]!.DefElem.defname === 'schemas' &&
        opts[0]!.DefElem.arg?.List?.items.map((i) => i.String.sval).join() === SCHEMA_SAMPLE;
      const objects =
        d.action.objtype === 'OBJECT_TABLE' ? 'tables' : d.action.objtype === 'OBJECT_SEQUENCE' ? 'sequences' : null;
      if (d.action.is_grant && schemaOnly && objects && grantsRole(d.action.grantees))
        defaults.push({
          objects,
          privileges: spelled(d.action.privileges, objects === 'tables' ? TABLE_ALL : SEQUENCE_ALL),
        });
    } else if (kind === 'GrantRoleStmt') {
      const m = body as { is_grant?: boolean; granted_roles?: AccessPrivs; grantee_roles?: unknown };
      if (m.is_grant && grantsRole(m.grantee_roles))
        for (const r of m.granted_roles ?? []) if (r.AccessPriv.priv_name) memberOf.push(r.AccessPriv.priv_name);
    }
  }
  return {
    sequencePrivileges: [...sequences].sort(),
    defaultPrivileges: defaults,
    memberOf: [...new Set(memberOf)].sort(),
  };
}

/** Every template in a directory, checked; without one, the built-in templates. */
export async function loadTemplates(dir?: string): Promise<Map<string, RoleTemplate>> {
  const out = new Map<string, RoleTemplate>();
  if (dir === undefined) {
    for (const path of listShipped(BUILTIN_TEMPLATES_DIR).filter((p) => p.endsWith('.sql'))) {
      const t = await checkTemplate(shippedName(path), readShipped(path));
      out.set(t.name, t);
    }
    return out;
  }
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('.sql'))
    .sort()) {
    const file = join(dir, f);
    const t = await checkTemplate(file, readFileSync(file, 'utf8'));
    out.set(t.name, t);
  }
  return out;
}
