/**
 * Day two: the spec is the desired state. What differs between the live cluster and the spec,
 * so the planner plans only that: roles to create, roles taken over as they are, taken-over roles
 * whose table privileges differ from their template's, the canary lines a role still needs for a
 * trusted range, and the old logins to retire. Pure: the planner's input in, the difference out.
 */
import { matchConnection } from '../hba/match.js';
import type { RoleFacts } from '../cluster/introspect.js';
import type { Spec } from '../spec/spec.js';
import type { PlanInput } from './input.js';
import { sampleAddress } from './stage-network.js';
import { qualified } from './stage-roles.js';
import { quoteIdent } from './templates.js';

export type SpecRole = Spec['roles'][number];

/** A role the spec names that exists, whose table privileges in one database are not its template's. */
export interface Regrant {
  role: SpecRole;
  database: string;
  /** The privileges it holds now, per quoted table (what the undo gives back). */
  now: Record<string, string[]>;
  /** Tables whose privileges differ, for the review. */
  differs: string[];
}

/** A canary need: a role's scram-sha-256 lines for these ranges, above the other rules. */
export interface CanaryNeed {
  name: string;
  databases: string[];
  ranges: string[];
  /** The role exists already: its password is not known to pgharden, so the probe only asks. */
  existing: boolean;
}

/** A login to retire once its sessions are gone. */
export interface Retirement {
  role: string;
  superuser: boolean;
  why: string;
  /** How long to wait for its sessions to end (seconds). */
  drainTimeout: number;
}

const ALL = ['delete', 'insert', 'references', 'select', 'trigger', 'truncate', 'update'];
const WRITES = new Set(['insert', 'update', 'delete', 'truncate']);

/** Whether a role of the spec already exists on the server. */
export const existingRole = (input: PlanInput, name: string): RoleFacts | undefined =>
  input.snapshot.roles.find((r) => r.name === name);

/** The spec's roles that do not exist yet: created, as on day one. */
export const rolesToCreate = (input: PlanInput): SpecRole[] =>
  input.spec.roles.filter((r) => !existingRole(input, r.name));

/** The table privileges a role's template gives it in one database (quoted table → sorted privileges). */
export function templatePrivileges(input: PlanInput, r: SpecRole, db: string): Record<string, string[]> {
  const t = input.templates.get(r.template)!;
  const granted = t.tablePrivileges.includes('all') ? ALL : t.tablePrivileges;
  const readOnly = new Set(r.readOnlyTables.map((x) => qualified(x, r.schema)));
  const out: Record<string, string[]> = {};
  for (const x of (input.tables.get(db) ?? []).filter((x) => x.schema === r.schema)) {
    const q = `${quoteIdent(x.schema)}.${quoteIdent(x.name)}`;
    const privs = granted.filter((p) => !(readOnly.has(q) && WRITES.has(p)));
    if (privs.length) out[q] = [...privs].sort();
  }
  return out;
}

/** Taken-over roles whose table privileges differ from what their template (and readOnlyTables) give. */
export function regrants(input: PlanInput): Regrant[] {
  const out: Regrant[] = [];
  for (const r of input.spec.roles) {
    if (!existingRole(input, r.name)) continue;
    for (const db of r.databases) {
      const now = input.privileges?.get(r.name)?.get(db) ?? {};
      const want = templatePrivileges(input, r, db);
      const tables = [...new Set([...Object.keys(now), ...Object.keys(want)])].sort();
      const differs = tables.filter((t) => (now[t] ?? []).join(',') !== (want[t] ?? []).join(','));
      if (differs.length) out.push({ role: r, database: db, now, differs });
    }
  }
  return out;
}

/**
 * The canary lines still needed: every trusted range for a new role; for a role that exists, the
 * ranges from which pg_hba.conf does not already ask it for a scram-sha-256 password.
 */
export function canaryNeeds(input: PlanInput): CanaryNeed[] {
  const rules = input.hba.lines.flatMap((l) =>
    l.kind === 'record' ? [{ rule: l.rule, file: input.hba.file, line: l.line }] : [],
  );
  const facts = {
    serverMajor: input.snapshot.major,
    memberOf: (u: string, g: string) =>
      (u === g && Boolean(existingRole(input, u))) || (existingRole(input, u)?.allGroups.includes(g) ?? false),
  };
  const out: CanaryNeed[] = [];
  for (const r of input.spec.roles) {
    const existing = Boolean(existingRole(input, r.name));
    const ranges = input.spec.network.trustedRanges.filter((range) => {
      if (!existing) return true;
      const method = (ssl: boolean) => {
        const m = matchConnection(
          rules,
          { source: { kind: 'host', address: sampleAddress(range), ssl }, database: r.databases[0]!, user: r.name },
          facts,
        );
        return m.kind === 'match' ? m.method : 'no entry';
      };
      const plain = method(false);
      // TLS required (hostssl with hostnossl reject, a TLS plan's file): asked for a password over TLS, refused without.
      const asked =
        plain === 'scram-sha-256' || (method(true) === 'scram-sha-256' && (plain === 'reject' || plain === 'no entry'));
      return !asked;
    });
    if (ranges.length) out.push({ name: r.name, databases: r.databases, ranges, existing });
  }
  return out;
}

/**
 * Logins to retire: the old users the plan moves consumers away from, and roles an earlier
 * pgharden plan created that the spec no longer names. Never the admin role, a role the spec
 * names, one listed in `keep`, one a consumer still uses, or one that cannot log in already.
 */
export function retirements(input: PlanInput): Retirement[] {
  const specRoles = new Set(input.spec.roles.map((r) => r.name));
  const keep = new Set(input.spec.keep);
  const stillUsed = new Set((input.consumersInSync ?? []).map((c) => c.role));
  const out = new Map<string, Retirement>();
  const eligible = (name: string) => {
    const r = existingRole(input, name);
    if (!r?.login || specRoles.has(name) || keep.has(name) || stillUsed.has(name)) return undefined;
    if (name === input.serverUser.name || name === input.snapshot.connectedAs) return undefined;
    return r;
  };
  for (const c of input.consumers) {
    const r = eligible(c.oldUser);
    if (!r) continue;
    const spec = input.spec.consumers.find((x) => x.name === c.name)!;
    const prev = out.get(r.name);
    const movers = [...(prev ? [prev.why.replace(/^consumers? (.*) moved .*$/, '$1')] : []), c.name];
    out.set(r.name, {
      role: r.name,
      superuser: r.superuser,
      why: `consumer${movers.length === 1 ? '' : 's'} ${movers.join(', ')} moved away from it; no consumer of the spec is left on it`,
      drainTimeout: Math.max(prev?.drainTimeout ?? 0, spec.drainTimeout),
    });
  }
  for (const name of input.pghardenRoles ?? []) {
    const r = eligible(name);
    if (!r || out.has(name)) continue;
    out.set(name, {
      role: name,
      superuser: r.superuser,
      why: 'an earlier pgharden plan created it and the spec no longer names it',
      drainTimeout: 300,
    });
  }
  return [...out.values()];
}
