/**
 * Names as PostgreSQL and pg_hba.conf can hold them. A spec name ends up in SQL (quoted), in
 * pg_hba.conf lines and comments, in consumer files and in the commit marks, so what PostgreSQL
 * would refuse at apply time is refused here, with the reason.
 */

/** What a name is used as: role, database or schema. */
export type NameKind = 'role' | 'database' | 'schema';

/** NAMEDATALEN is 64: 63 bytes and the terminating NUL; longer names are truncated, not refused. */
export const MAX_NAME_BYTES = 63;

// Any of these would end a line (or a token) in a file pgharden writes: never accepted in a spec.
const CONTROL = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/u;

// pg_hba.conf keywords (matched case-sensitively, like every name there): unquoted they mean something else, and tools that print the file unquoted misread them.
const HBA_KEYWORDS = new Set(['all', 'sameuser', 'samerole', 'samegroup', 'replication']);

// CREATE ROLE refuses "public" and "none" ("role name ... is reserved") and, from 9.6, any name
// starting with pg_; the others are special role specifications in GRANT and ALTER ROLE.
const RESERVED_ROLES = new Set(['public', 'none', 'current_user', 'session_user', 'current_role', 'user']);

/** A control character of `value` spelled out ("a newline"), or null when it has none. */
export function controlCharacter(value: string): string | null {
  const m = CONTROL.exec(value);
  if (!m) return null;
  const named: Record<string, string> = {
    '\n': 'a newline',
    '\r': 'a carriage return',
    '\t': 'a tab',
    '\u0000': 'a NUL byte',
  };
  return named[m[0]] ?? `the control character U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Every reason `name` cannot be used as a `kind` name (empty when it can); control characters are checked for every spec value, by `controlCharacter`. */
export function nameProblems(name: string, kind: NameKind): string[] {
  const out: string[] = [];
  if (name === '') return [`a ${kind} name cannot be empty`];
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_NAME_BYTES)
    out.push(
      `"${name}" is ${bytes} bytes in UTF-8; PostgreSQL names are at most ${MAX_NAME_BYTES} bytes (longer ones are silently truncated)`,
    );
  if (kind === 'role' && name.startsWith('pg_'))
    out.push(`"${name}": role names starting with "pg_" are reserved for PostgreSQL's own roles`);
  if (kind === 'schema' && name.startsWith('pg_'))
    out.push(`"${name}": schema names starting with "pg_" are reserved for system schemas`);
  if (kind === 'role' && name.includes('>'))
    out.push(
      `"${name}": pgharden cannot use ">" in a role name (a plan refers to a role's secret as <secret:NAME>); choose another name`,
    );
  if (kind === 'role' && RESERVED_ROLES.has(name))
    out.push(
      `"${name}" is a reserved role name in PostgreSQL (public, none, current_user, session_user, current_role, user)`,
    );
  if ((kind === 'role' || kind === 'database') && HBA_KEYWORDS.has(name)) {
    out.push(
      `"${name}" is a pg_hba.conf keyword (all, sameuser, samerole, samegroup, replication); choose another ${kind} name`,
    );
  }
  return out;
}
