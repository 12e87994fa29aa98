/**
 * What the planner is given: facts gathered at the edges (introspection, files, templates,
 * generated secrets), so that the planner itself is a pure function of them.
 */
import type { Snapshot } from '../cluster/introspect.js';
import type { HbaLine } from '../conf/hba-types.js';
import type { Spec } from '../spec/spec.js';
import type { FileBinding } from './binding.js';
import type { ConsumerPath } from './consumer-route.js';
import type { RoleTemplate } from './templates.js';
import type { PlanTarget, TlsSetup } from './plan-types.js';
import { EXIT, PghardenError, type ExitCode } from '../core/errors.js';

/** A table the verification uses to try DML and DDL as a new role. */
export interface TableFacts {
  schema: string;
  name: string;
  /** Its first column, for `UPDATE t SET c = c WHERE false`. */
  firstColumn: string | null;
}

/** A consumer's file as found when planning. */
export interface ConsumerFile {
  name: string;
  path: string;
  format: string;
  text: string;
  /** The DSN's key in the file, when the spec named one or the file has exactly one. */
  key?: string;
  /** The user and database its connection string uses now. */
  oldUser: string;
  database: string | null;
  /** The file with the new role's credentials, computed only to record its hash. */
  rewritten: string;
  binding: FileBinding;
  /** How it reaches the server (its DSN, its live sessions), judged against the final rules. */
  paths?: ConsumerPath[];
}

export interface PlanInput {
  name: string;
  /** Absolute path of plans/NAME. */
  planDir: string;
  createdAt: string;
  version: string;
  /** How the cluster was reached, without a password. */
  target: PlanTarget;
  snapshot: Snapshot;
  port: number;
  /** Directory of the server's Unix socket (first of unix_socket_directories), if any. */
  socketDir: string | null;
  /** The OS user that runs the server (owner of the data directory) and its group. */
  serverUser: { name: string; uid: number; gid: number };
  /** `encoding` latin1: the file is not valid UTF-8 and is written back one byte per character. */
  hba: { file: string; lines: HbaLine[]; binding: FileBinding; encoding?: 'utf8' | 'latin1' };
  /** postgresql.conf, postgresql.auto.conf and pg_ident.conf as observed. */
  configFile: FileBinding;
  autoConf: FileBinding & { settings: Record<string, string> };
  identFile: FileBinding | null;
  /**
   * postgresql.conf under /etc/postgresql (postgresql-common), and its settings that hold a password.
   * `split`: those settings can move to a 0600 file in conf.d (Debian's layout, set only in the
   * main file, which includes conf.d): the new file as observed now, the names, and both files'
   * sha256 after the move.
   */
  configFacts: {
    debianLayout: boolean;
    secretSettings: string[];
    restartCommand: string;
    split?: { file: FileBinding; names: string[]; keptSha256: string; movedSha256: string };
  };
  spec: Spec;
  templates: Map<string, RoleTemplate>;
  /** Tables per database (all schemas the spec names). */
  tables: Map<string, TableFacts[]>;
  /** The spec's schemas that exist, per database; absent: not looked up (every schema is taken to exist). */
  schemas?: Map<string, string[]>;
  consumers: ConsumerFile[];
  /** Consumers of the spec whose file already connects as their role: left alone. */
  consumersInSync?: { name: string; path: string; role: string }[];
  /** Consumers an earlier applied plan moved that the spec no longer names: left as they are. */
  removedConsumers?: { name: string; path: string; role: string; plan: string }[];
  /** Roles that carry a pgharden plan's mark (an earlier plan created them). */
  pghardenRoles?: string[];
  /** Taken-over roles' direct table privileges: role → database → quoted table → sorted privileges. */
  privileges?: Map<string, Map<string, Record<string, string[]>>>;
  /** The spec's tls section planned with the hardening (stage-harden-tls.ts); absent: no TLS steps. */
  tls?: HardenTls;
  /** Why the spec's tls section is left to `plan --tls` (said in the plan's notices). */
  tlsNotice?: string;
  /**
   * Taken-over roles' other grants, compared with their template's: direct memberships, and per
   * database of the spec the privileges on each sequence of its schema (quoted name → sorted
   * privileges) and the default privileges the admin role's new tables and sequences give it there.
   */
  grants?: Map<string, LiveGrants>;
  /** sha256 of the secrets file written for this plan. */
  secretsSha256: string;
  /** No verified backup (--skip-backup): recorded in the plan and the report as a loud warning. */
  skipBackup?: boolean;
}

/**
 * TLS in a hardening plan: the certificates made in the plan directory, the files the server
 * reads them from as they are now, and per consumer the libpq parameters its rewrite sets and its
 * CA copy (verify-full) as it is now.
 */
export interface HardenTls {
  setup: TlsSetup;
  certFile: FileBinding;
  keyFile: FileBinding;
  /** sha256 of the plan's tls/server.crt and tls/server.key. */
  certSha256: string;
  keySha256: string;
  /**
   * `params` go in with the consumer's rewrite (sslmode, sslrootcert); channel_binding=require only
   * after the flip, since a login under trust has no SCRAM exchange to bind (libpq then refuses
   * it): `boundSha256` is the file's sha256 once it is set.
   */
  consumers: Record<string, { params: Record<string, string>; ca: FileBinding | null; boundSha256: string }>;
}

/** What a role holds beyond table privileges (see PlanInput.grants). */
export interface LiveGrants {
  memberOf: string[];
  perDatabase: Map<
    string,
    { sequences: Record<string, string[]>; defaults: { tables: string[]; sequences: string[] } }
  >;
}

/** A reason the plan cannot be made, with where and what to do. */
export class PlanError extends PghardenError {
  /** `refused`: making the plan would be unsafe (exit 3), rather than the input being wrong (exit 2). */
  readonly exitCode: ExitCode;

  constructor(
    readonly problems: string[],
    readonly refused = false,
  ) {
    super(`The plan cannot be made:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.exitCode = refused ? EXIT.refused : EXIT.usage;
  }
}
