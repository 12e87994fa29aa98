/**
 * The plan as data (the stages: docs/plan-and-review.md): ordered steps, each with its forward action, the
 * checks that prove it worked, its undo, the state it expects before and the state it must
 * leave. `plans/NAME/plan.json` is this object as canonical JSON; its id is the sha256 of the
 * rest. Nothing here holds a password or a SCRAM verifier: SQL and files refer to secrets by
 * name (`SecretRef`), resolved from `plans/NAME/secrets` (0600) only when a step runs.
 */
import type { Binding } from './binding.js';
import type { ConnectionMatrix } from '../audit/matrix.js';

/** A hardening plan's stages; `server-tls` only when the spec's tls section is planned with it (stage-harden-tls.ts). */
export const STAGES = ['preflight', 'roles', 'canary', 'server-tls', 'consumers', 'flip', 'verify'] as const;
/** The stages of a `pitr enable` plan (`purpose: 'pitr'`). */
export const PITR_STAGES = ['preflight', 'pgbackrest', 'archiving', 'restart', 'prove'] as const;
/** The stages of a TLS plan (`purpose: 'tls'`): stage-tls.ts. */
export const TLS_STAGES = ['preflight', 'server-tls', 'consumers', 'hostssl', 'verify'] as const;
export type Stage = (typeof STAGES)[number] | (typeof PITR_STAGES)[number] | (typeof TLS_STAGES)[number];

export type StepKind = 'sql' | 'file' | 'reload' | 'probe' | 'command' | 'gate';

/**
 * Where a secret goes in a SQL statement: the literal `<secret:ROLE>` stands for the role's
 * SCRAM verifier, quoted as a SQL string. Reviews print it as `'<redacted>'`.
 */
export const SECRET_TOKEN = /<secret:([^>]+)>/g;
export const secretToken = (role: string) => `<secret:${role}>`;

/** What a step does, or undoes. */
export type Action =
  /** Statements in order; `database` is the one to connect to. */
  | { do: 'sql'; database: string; statements: string[] }
  /**
   * Write a whole file (no secret in it): its new content, mode and owner. `encoding` latin1: the
   * file is not UTF-8 and each character of `content` is one byte (absent: UTF-8).
   */
  | {
      do: 'write-file';
      path: string;
      content: string;
      mode: number;
      uid: number;
      gid: number;
      encoding?: 'latin1';
      /** A root-only file whose option lines (not its comments) are appended: secrets kept out of the plan. */
      appendFrom?: string;
    }
  /**
   * Rewrite the connection string of a consumer file in place, with a role's password; `params`:
   * libpq's TLS parameters set in the same write (a hardening plan with the spec's tls section).
   */
  | {
      do: 'rewrite-consumer';
      path: string;
      format: string;
      key?: string;
      role: string;
      oldUser: string;
      params?: Record<string, string>;
    }
  /**
   * Copy the named settings' lines of `from` (postgresql.conf) into the new file `to`, with this
   * mode and owner: the values (which hold a password) never enter the plan.
   */
  | { do: 'copy-settings'; from: string; to: string; names: string[]; mode: number; uid: number; gid: number }
  /** Turn the named settings' lines of `path` into comments naming `to`, where they went (mode and owner kept). */
  | { do: 'comment-settings'; path: string; names: string[]; to: string }
  /** Change a file's mode only. */
  | { do: 'chmod'; path: string; mode: number }
  /**
   * Put a file back from the plan's backup, byte for byte with its mode and owner; `link`: the file
   * was a symlink to this target, which it is again (the target gets the bytes).
   */
  | { do: 'restore-file'; path: string; backup: string; link?: string }
  /** Copy files into the plan's backup directory and record the role set. */
  | { do: 'backup'; files: { path: string; backup: string }[] }
  /** Dump the globals and each database into `dir` (under the plan), then restore-drill each dump. */
  | { do: 'verified-backup'; databases: string[]; dir: string }
  /** Ask the server to re-read its configuration (pg_reload_conf, or SIGHUP to the postmaster). */
  | { do: 'reload' }
  /** Run a consumer's own command (argv, no shell); as `uid`/`gid` when given (pgBackRest: the server's OS user). */
  | { do: 'command'; argv: string[]; timeoutMs: number; uid?: number; gid?: number }
  /** Create a directory (and its parents) with this mode and owner; an existing one gets them. */
  | { do: 'mkdir'; path: string; mode: number; uid: number; gid: number }
  /** Remove a file the plan created (the undo of writing a file that did not exist). */
  | { do: 'remove-file'; path: string }
  /** Restart the server (pg_ctlcluster or pg_ctl as the server's OS user); the admin path is opened again. */
  | { do: 'restart' }
  /** Wait until a condition holds, or stop with what still blocks it. */
  | { do: 'gate'; until: Gate; timeoutMs: number }
  /** Check against the live server; changes nothing. */
  | { do: 'probe'; checks: Check[] }
  /** Copy a file the plan made (`from`, relative to the plan directory) to `path` with this mode and owner. */
  | { do: 'copy-file'; from: string; path: string; mode: number; uid: number; gid: number }
  /** Set libpq parameters (sslmode, sslrootcert, channel_binding) in a consumer's connection string, in place. */
  | { do: 'consumer-params'; path: string; format: string; key?: string; params: Record<string, string> };

export type Gate =
  /** No session left on the consumer's old identity. */
  | { gate: 'no-old-sessions'; user: string; application?: string; clientAddress?: string; plain?: boolean }
  /** The plan directory lock and the server's advisory lock are held by this run. */
  | { gate: 'lock' }
  /** The admin path pgharden keeps (local socket, peer) answers. */
  | { gate: 'admin-path'; user: string }
  /** The running server has this setting's value (one that needs a restart); else stop with `advice`. */
  | { gate: 'setting'; name: string; value: string; advice: string };

/** Where a probe connects from: the local socket, or a TCP source address. */
/**
 * Where a probe connects from: the local socket, or a TCP source address. `range` is the network
 * the address stands for: when this host does not have the address, a probe may leave from an
 * address the host has inside that range instead.
 */
export type Source = 'local' | { address: string; range?: string };

/** One claim tested against the server. */
export type Check =
  /** A startup packet without a password (inside TLS when `ssl`): what the server answers. */
  | {
      check: 'auth';
      user: string;
      database: string;
      from: Source;
      expect: 'refused' | 'password-required' | 'ok';
      ssl?: boolean;
    }
  /** A full login with the role's password (from the secrets file). */
  | { check: 'login'; role: string; database: string; from: Source; expect: 'ok' | 'refused' }
  /** A statement run as the role inside a transaction that is rolled back (`ssl`: over TLS, once the server requires it). */
  | { check: 'privilege'; role: string; database: string; sql: string; expect: 'allowed' | 'denied'; ssl?: boolean }
  /** The consumer's connection string, as its file now holds it, logs in. */
  | { check: 'consumer-dsn'; consumer: string; path: string; expect: 'ok' }
  /** The pg_hba.conf file the server would load has no error line. */
  | { check: 'hba-valid'; path: string }
  /** A setting's value as the server reports it after a reload. */
  | { check: 'setting'; name: string; value: string }
  /** A write, then pg_switch_wal(): the segment it closes reaches the pgBackRest repository. */
  | { check: 'wal-archived'; repo: string; stanza: string; timeoutMs: number }
  /** A TLS handshake from `from`: the server presents the certificate with this sha256 (hex of its DER). */
  | { check: 'tls-handshake'; from: Source; sha256: string }
  /**
   * The consumer's connection string as its file holds it, used by libpq (psql) as the file's
   * owner: `ok` when it logs in over TLS; with `rogue` (a listener on the same host presenting the
   * plan's other certificate, plan-relative PEM paths), `refused` when libpq will not talk to it.
   */
  | {
      check: 'consumer-tls';
      consumer: string;
      path: string;
      uid: number;
      gid: number;
      expect: 'ok' | 'refused';
      rogue?: { cert: string; key: string };
    };

/** What a step observes before and after it runs: resume compares these with the world. */
export type State =
  | { of: 'file'; path: string; sha256: string | null; mode: number | null; uid: number | null; gid: number | null }
  | { of: 'role'; name: string; exists: boolean }
  /** A role's LOGIN and SUPERUSER attributes (retiring an old login changes them). */
  | { of: 'role-attrs'; name: string; login: boolean; superuser: boolean }
  /** A step's mark (a comment on its role, written in the step's own transaction). */
  | { of: 'mark'; role: string; step: string; present: boolean }
  /** A setting as written in postgresql.auto.conf (null: not set there). */
  | { of: 'auto-setting'; name: string; value: string | null }
  /** The hba rules in force: pg_hba.conf content the server loaded last (by sha256). */
  | { of: 'hba-in-force'; sha256: string }
  /** Nothing to observe: the step is re-run on resume (probes, gates, commands). */
  | { of: 'none' };

export interface Step {
  /** Stable and readable: `stage/what`, e.g. `roles/create-app_rw`. */
  id: string;
  stage: Stage;
  kind: StepKind;
  description: string;
  forward: Action;
  /** Checks run after the forward action; any failure stops the run. */
  verify: Check[];
  /** Null when there is nothing to undo (probes, gates); the description says why otherwise. */
  undo: Action | null;
  before: State[];
  after: State[];
  /** Runs in one transaction: all or nothing. */
  transactional: boolean;
  /** Takes effect only after a server restart, which pgharden does not perform. */
  restartRequired: boolean;
}

/** A login role the spec does not map, and what the flip does to it. */
export interface UnmappedRole {
  role: string;
  superuser: boolean;
  fate: string;
}

/** A connection without its password: a libpq keyword/value string and/or a Debian cluster. */
export interface PlanTarget {
  dsn?: string;
  cluster?: string;
}

export interface Plan {
  schemaVersion: 1;
  /** sha256 of the canonical JSON of every other field. */
  id: string;
  name: string;
  createdAt: string;
  pgharden: string;
  /** How the plan's cluster was reached (never a password): review uses it when no flag is given. */
  target: PlanTarget;
  server: {
    major: number;
    version: string;
    hbaFile: string;
    configFile: string;
    autoConfFile: string;
    dataDirectory: string;
    adminRole: string;
    socketDir: string | null;
  };
  binding: Binding;
  /** sha256 of the secrets file: a plan and its secrets belong together. */
  secretsSha256: string;
  trustedRanges: string[];
  roles: { name: string; template: string; databases: string[]; schema: string; readOnlyTables: string[] }[];
  consumers: {
    name: string;
    path: string;
    format: string;
    key?: string;
    role: string;
    oldUser: string;
    database: string | null;
  }[];
  unmapped: UnmappedRole[];
  /**
   * Facts the plan's safety rests on, re-read by apply before its first change: the login
   * superusers the flip's reject rule names (a superuser created since would keep network access).
   */
  facts?: { superusers: string[] };
  /** Set (never saved) when the cluster already matches the spec: no step changes anything. */
  nothingToDo?: true;
  /** Items that need a restart or an operator decision; never done silently. */
  notices: string[];
  /** The verified backup before any change; `skipped` only with --skip-backup, said loudly. */
  backup: { skipped: boolean; databases: string[] };
  matrix: { before: ConnectionMatrix; after: ConnectionMatrix };
  steps: Step[];
  /** `command`: the pgharden rollback line; `shell`: the file restores rollback.sh runs before its proven postmaster reload. */
  rollback: { command: string; shell: string };
  /** The steps that set each role's password (their journal `done` time is the set time) and the spec's age limit. */
  passwords?: { maxAgeDays: number | null; set: { role: string; step: string }[] };
  /** Absent for a hardening plan; `pitr` for `pitr enable`'s (its steps use PITR_STAGES); `rotate` for `plan --rotate`'s; `tls` for `plan --tls`'s. */
  purpose?: 'pitr' | 'rotate' | 'tls';
  /** What a `pitr` plan sets up. */
  pitr?: PitrSetup;
  /** What a `tls` plan sets up. */
  tls?: TlsSetup;
}

/** TLS for one server and its consumers, as a `tls` plan sets it up. */
export interface TlsSetup {
  mode: 'require' | 'verify-full';
  minProtocol: 'TLSv1.2' | 'TLSv1.3';
  /** Where the server's certificate and key go (the server reads them at reload). */
  certFile: string;
  keyFile: string;
  /** The CA consumers verify the server with: in the plan directory when generated. */
  caFile: string;
  /** sha256 of the CA file's bytes (what each consumer's copy holds). */
  caSha256: string;
  /** sha256 of the server certificate's DER, hex. */
  sha256: string;
  /** The names and addresses the certificate covers. */
  names: string[];
  notAfter: string;
  /** The spec's tls.expiryWarningDays: the audit's tls-cert-expiring warns from this many days left (absent in older plans: 30). */
  expiryWarningDays?: number;
  /** A renewal (`plan --renew-certificate`): the TLS plan whose CA signed it, and the certificate it replaces. */
  renews?: { plan: string; sha256: string };
}

/** pgBackRest for one cluster, as `pitr enable` plans it. */
export interface PitrSetup {
  stanza: string;
  configFile: string;
  repo: string;
  retentionFull: number;
  /** What the operator runs to restart the server (pg_ctlcluster, or pg_ctl restart -D). */
  restartCommand: string;
  /** Whether the plan restarts the server itself (`--restart`). */
  restarts: boolean;
  /** The repository did not exist when the plan was made: rollback removes it while it holds no backup. */
  repoCreated?: boolean;
  /** The RPO target in seconds (`--rpo`): archive_timeout, so a quiet server's WAL still leaves within it. */
  rpoSeconds?: number;
  /** An object-store repository (repo1; `repo` is then the local repo2, or this one's s3:// address). */
  s3?: PitrS3Repo;
  /** repo1-retention-diff and repo1-retention-archive (`--retention-diff`, `--retention-archive`). */
  retentionDiff?: number;
  retentionArchive?: number;
}

/** An S3 repository, encrypted (aes-256-cbc); its keys and passphrase live only in `secretsFile` and pgBackRest's file. */
export interface PitrS3Repo {
  bucket: string;
  /** repo1-path inside the bucket, absolute. */
  path: string;
  endpoint: string;
  port: number;
  region: string;
  uriStyle: 'host' | 'path';
  caFile?: string;
  /** The 0600 root file beside the configuration: passphrase and keys, the thing to keep elsewhere. */
  secretsFile: string;
}
