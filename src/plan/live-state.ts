/**
 * Day two's read-only facts beyond the snapshot: which roles an earlier pgharden plan created
 * (their mark comment), the table privileges of roles the spec takes over, and the consumers an
 * earlier applied plan in the same plans directory moved that the spec no longer names.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type pg from 'pg';
import { connect, type ConnectOptions } from '../connect/connect.js';
import type { Spec } from '../spec/spec.js';
import type { LiveGrants, PlanInput } from './input.js';
import type { Plan } from './plan-types.js';

/** Roles whose comment is a pgharden plan's mark: an earlier plan created them. */
export async function pghardenRoles(admin: pg.Client): Promise<string[]> {
  const { rows } = await admin.query<{ r: string }>(
    "SELECT rolname AS r FROM pg_roles WHERE shobj_description(oid, 'pg_authid') LIKE 'pgharden plan %' ORDER BY 1",
  );
  return rows.map((x) => x.r);
}

// Keys as the planner writes tables: both names always quoted.
const PRIVILEGES_SQL = `SELECT '"' || replace(n.nspname, '"', '""') || '"."' || replace(c.relname, '"', '""') || '"' AS t,
    array_agg(DISTINCT lower(a.privilege_type) ORDER BY lower(a.privilege_type)) AS p
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
  WHERE c.relkind IN ('r', 'p') AND n.nspname = $2 AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1)
  GROUP BY 1`;

/** Each existing spec role's direct table privileges in its schema, per database of the spec. */
export async function takenOverPrivileges(
  admin: pg.Client,
  connection: ConnectOptions,
  spec: Spec,
  live: Set<string>,
): Promise<NonNullable<PlanInput['privileges']>> {
  const out: NonNullable<PlanInput['privileges']> = new Map();
  const dbs = (await admin.query<{ d: string }>('SELECT datname AS d FROM pg_database WHERE datallowconn')).rows.map(
    (r) => r.d,
  );
  const current = (await admin.query<{ d: string }>('SELECT current_database() AS d')).rows[0]!.d;
  for (const r of spec.roles.filter((x) => live.has(x.name))) {
    const perDb = new Map<string, Record<string, string[]>>();
    for (const db of r.databases.filter((d) => dbs.includes(d))) {
      const c = db === current ? admin : await connect({ ...connection, database: db });
      try {
        const { rows } = await c.query<{ t: string; p: string[] }>(PRIVILEGES_SQL, [r.name, r.schema]);
        perDb.set(db, Object.fromEntries(rows.map((x) => [x.t, x.p])));
      } finally {
        if (c !== admin) await c.end();
      }
    }
    out.set(r.name, perDb);
  }
  return out;
}

// Every sequence of the schema, with the role's privileges on it (none: an empty array).
const SEQUENCES_SQL = `SELECT '"' || replace(n.nspname, '"', '""') || '"."' || replace(c.relname, '"', '""') || '"' AS t,
    coalesce((SELECT array_agg(DISTINCT lower(a.privilege_type) ORDER BY lower(a.privilege_type))
      FROM aclexplode(c.relacl) a WHERE a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1)), '{}') AS p
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'S' AND n.nspname = $2`;

// The default privileges the current user's new tables (r) and sequences (S) in the schema give the role.
const DEFAULTS_SQL = `SELECT d.defaclobjtype AS o, array_agg(DISTINCT lower(a.privilege_type) ORDER BY lower(a.privilege_type)) AS p
  FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a
  WHERE n.nspname = $2 AND d.defaclobjtype IN ('r', 'S') AND d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)
    AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1)
  GROUP BY 1`;

const MEMBERSHIPS_SQL = `SELECT g.rolname AS g FROM pg_auth_members m
  JOIN pg_roles r ON r.oid = m.member JOIN pg_roles g ON g.oid = m.roleid WHERE r.rolname = $1 ORDER BY 1`;

/** Each existing spec role's memberships, and its sequence and default privileges per database of the spec. */
export async function takenOverGrants(
  admin: pg.Client,
  connection: ConnectOptions,
  spec: Spec,
  live: Set<string>,
): Promise<NonNullable<PlanInput['grants']>> {
  const out: NonNullable<PlanInput['grants']> = new Map();
  const dbs = (await admin.query<{ d: string }>('SELECT datname AS d FROM pg_database WHERE datallowconn')).rows.map(
    (r) => r.d,
  );
  const current = (await admin.query<{ d: string }>('SELECT current_database() AS d')).rows[0]!.d;
  for (const r of spec.roles.filter((x) => live.has(x.name))) {
    const memberOf = (await admin.query<{ g: string }>(MEMBERSHIPS_SQL, [r.name])).rows.map((x) => x.g);
    const perDatabase: LiveGrants['perDatabase'] = new Map();
    for (const db of r.databases.filter((d) => dbs.includes(d))) {
      const c = db === current ? admin : await connect({ ...connection, database: db });
      try {
        const seqs = await c.query<{ t: string; p: string[] }>(SEQUENCES_SQL, [r.name, r.schema]);
        const defs = await c.query<{ o: string; p: string[] }>(DEFAULTS_SQL, [r.name, r.schema]);
        perDatabase.set(db, {
          sequences: Object.fromEntries(seqs.rows.map((x) => [x.t, x.p])),
          defaults: {
            tables: defs.rows.find((x) => x.o === 'r')?.p ?? [],
            sequences: defs.rows.find((x) => x.o === 'S')?.p ?? [],
          },
        });
      } finally {
        if (c !== admin) await c.end();
      }
    }
    out.set(r.name, { memberOf, perDatabase });
  }
  return out;
}

/** Whether a plan directory's journal ends with an applied run (not rolled back since). */
function applied(dir: string): boolean {
  try {
    const ends = readFileSync(join(dir, 'journal'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"run-end"'));
    return ends.at(-1)?.includes('"applied"') ?? false;
  } catch {
    return false;
  }
}

/** Consumers moved by an earlier applied plan beside `dir` that the spec no longer names. */
export function removedConsumers(dir: string, spec: Spec): NonNullable<PlanInput['removedConsumers']> {
  const parent = dirname(dir);
  const named = new Set(spec.consumers.map((c) => c.name));
  const seen = new Map<string, NonNullable<PlanInput['removedConsumers']>[number]>();
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return [];
  }
  for (const e of entries.sort()) {
    const d = join(parent, e);
    if (d === dir || !applied(d)) continue;
    let plan: Plan;
    try {
      plan = JSON.parse(readFileSync(join(d, 'plan.json'), 'utf8')) as Plan;
    } catch {
      continue;
    }
    for (const c of plan.consumers ?? [])
      if (!named.has(c.name)) seen.set(c.name, { name: c.name, path: c.path, role: c.role, plan: basename(d) });
  }
  return [...seen.values()];
}
