/**
 * Types shared by the `pg_hba.conf` parser, the loader, the matcher and the CLI.
 *
 * A parsed file is a list of lines; each keeps its exact raw text (including its line
 * terminator and any backslash-continued physical lines), so rendering the list back
 * gives the file byte for byte.
 */

/** Connection types of `pg_hba.conf` (hostgssenc/hostnogssenc from 12). */
export type HbaConnType = 'local' | 'host' | 'hostssl' | 'hostnossl' | 'hostgssenc' | 'hostnogssenc';

/** Authentication methods PostgreSQL 14–18 know (`oauth` from 18). */
export type AuthMethod =
  | 'trust'
  | 'reject'
  | 'scram-sha-256'
  | 'md5'
  | 'password'
  | 'gss'
  | 'sspi'
  | 'ident'
  | 'peer'
  | 'ldap'
  | 'radius'
  | 'cert'
  | 'pam'
  | 'bsd'
  | 'oauth';

/**
 * One token of a field. `value` is the text with quotes removed; `quoted` says whether any
 * part of it was in double quotes — a quoted keyword (`"all"`) is a name, not a keyword.
 */
export interface HbaToken {
  value: string;
  quoted: boolean;
  /** A `/regex` name (16+; quoted or not, any name that starts with a slash). */
  regex?: boolean;
}

/** A record's address field, as PostgreSQL classifies it. */
export type HbaAddress =
  | { kind: 'all' }
  | { kind: 'samehost' }
  | { kind: 'samenet' }
  /** IP with prefix (`10.0.0.0/8`) or with a separate netmask field. `mask` is a netmask in the address' family. */
  | { kind: 'cidr'; address: string; mask: string; family: 4 | 6 }
  /** A host name (or `.suffix`), matched by reverse and forward DNS. */
  | { kind: 'hostname'; name: string };

/** A valid `pg_hba.conf` rule: what one row of `pg_hba_file_rules` describes. */
export interface HbaRule {
  type: HbaConnType;
  databases: HbaToken[];
  users: HbaToken[];
  /** Absent for `local`. */
  address?: HbaAddress;
  method: AuthMethod;
  /** Options as written, `name=value`, in file order. */
  options: { name: string; value: string }[];
}

interface LineBase {
  /** 1-based number of the first physical line. */
  line: number;
  /** The exact text, including the line terminator(s); concatenating all `raw` gives the file. */
  raw: string;
}

/** A line that holds only a comment (possibly indented). */
export interface CommentLine extends LineBase {
  kind: 'comment';
}
/** An empty or whitespace-only line. */
export interface BlankLine extends LineBase {
  kind: 'blank';
}
/** A valid rule. */
export interface RecordLine extends LineBase {
  kind: 'record';
  rule: HbaRule;
}
/** `include`, `include_if_exists` or `include_dir` (16+). `path` is as written, unresolved. */
export interface IncludeLine extends LineBase {
  kind: 'include';
  directive: 'include' | 'include_if_exists' | 'include_dir';
  path: string;
}
/** A line PostgreSQL would reject; `error` is PostgreSQL's own message for it. */
export interface ErrorLine extends LineBase {
  kind: 'error';
  error: string;
  /** 1-based column of the offending token on the first physical line, where it helps. */
  column?: number;
  /**
   * Set when PostgreSQL parsed the rule but still flags it (e.g. `hostssl` while ssl is off):
   * the view then shows the rule's fields next to the error, and the rule is never used.
   */
  rule?: HbaRule;
  /**
   * What the view's `error` column shows when it is not `error`: PostgreSQL rejects some
   * options (e.g. `clientcert=bad`) only in its log, leaving the column null or at an earlier warning.
   */
  viewError?: string | null;
}

export type HbaLine = CommentLine | BlankLine | RecordLine | IncludeLine | ErrorLine;

/**
 * One row in the shape and with the values of the `pg_hba_file_rules` view, for the same
 * file on the same major (the `inspect hba --json` contract). `file` is the view's
 * `file_name` (16+).
 */
export interface HbaFileRuleRow {
  file: string;
  line_number: number;
  type: string | null;
  database: string[] | null;
  user_name: string[] | null;
  address: string | null;
  netmask: string | null;
  auth_method: string | null;
  options: string[] | null;
  error: string | null;
}
