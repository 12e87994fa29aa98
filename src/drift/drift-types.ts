/**
 * Drift's data: the desired state (an applied plan's end state, or a spec), what was observed on
 * the live cluster, and each difference with its evidence and the command that fixes it. Part of
 * the stable `pgharden drift --json` schema.
 */
import type { Snapshot } from '../cluster/introspect.js';

export const DRIFT_KINDS = [
  'hba-rule',
  'superuser-network',
  'role',
  'role-attribute',
  'grant',
  'password-encryption',
  'file-mode',
  'consumer-dsn',
] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

/** One way the live cluster differs from the desired state. */
export interface Difference {
  kind: DriftKind;
  /** What differs: a file:line, a role, a setting, a path. */
  object: string;
  expected: string;
  actual: string;
  /** What proves it: file:line quotes, role attributes, values. */
  evidence: string[];
  /** The command (or edit) that puts it back. */
  fix: string;
}

/** A role as the desired state has it. */
export interface DesiredRole {
  name: string;
  template: string;
  databases: string[];
  schema: string;
  readOnlyTables: string[];
}

/** What the cluster should look like. */
export interface DesiredState {
  /** Where it comes from, for messages: `plan plans/NAME` or `spec harden.yaml`. */
  source: string;
  /** The command that re-plans the cluster to this state, when one is known. */
  replan: string;
  /** pg_hba.conf as the plan left it (absent: judged by method only). */
  hba?: { path: string; content: string };
  roles: DesiredRole[];
  consumers: { name: string; path: string; format?: string; key?: string; role: string }[];
  /** The mode each file must not be more permissive than. */
  fileModes: { path: string; mode: number }[];
}

/** A role's effective privileges in one database, as the server reports them. */
export interface ObservedGrants {
  role: string;
  database: string;
  connect: boolean;
  /** CREATE on the role's schema. */
  createInSchema: boolean;
  /** Per table of the schema (`schema.table`): privileges held (`select`, `insert`, ...). */
  tables: { table: string; privileges: string[] }[];
  /** Why the database could not be examined. */
  error?: string;
}

/** A consumer file's connection string as read now. */
export interface ObservedConsumer {
  name: string;
  path: string;
  user: string | null;
  line: number | null;
  error?: string;
}

/** Everything drift compares against the desired state. */
export interface Observed {
  snapshot: Snapshot;
  /** The pg_hba.conf file's text now (null: unreadable). */
  hbaText: string | null;
  grants: ObservedGrants[];
  consumers: ObservedConsumer[];
  /** Mode of each path the desired state names (null: missing or unreadable). */
  fileModes: { path: string; mode: number | null }[];
  /** Per template name: table privileges it grants and whether it creates in the schema (absent: unknown template). */
  templates: Map<string, { tablePrivileges: string[]; createsInSchema: boolean }>;
}
