/**
 * Which system users a pg_ident.conf map lets in as a role: the lines of the map whose
 * PG-USERNAME names the role, read as the server's check_ident_usermap reads them.
 */
import type { IdentLine } from '../conf/ident.js';
import { compileName } from '../conf/regex.js';

/** A line of the map that lets system users in as the role. */
export interface IdentEntry {
  line: number;
  /** The system user as written; a regular expression keeps its leading `/`. */
  systemUser: string;
  /** The system user is a regular expression: every OS user it matches (and whose `\1` gives the role). */
  pattern: boolean;
}

/**
 * The entries of map `map` that let a system user in as `role`. PG-USERNAME is a name; from 16
 * also `all`, `+group` (membership as for pg_hba.conf) or `/regex`. A `\1` in it takes the
 * system user's first capture: such a line is listed when the role can be the substitution's
 * result (the rest of the name matches), the system users being the pattern's.
 */
export function identEntriesFor(
  lines: readonly IdentLine[],
  o: { map: string; role: string; major: number; memberOf: (user: string, group: string) => boolean },
): IdentEntry[] {
  const out: IdentEntry[] = [];
  for (const l of lines) {
    if (l.kind !== 'record' || l.mapping.map !== o.map) continue;
    const { systemUser, pgUser } = l.mapping;
    const pattern = systemUser.value.startsWith('/');
    if (pgUserNames(pgUser.value, pgUser.quoted, pattern, o))
      out.push({ line: l.line, systemUser: systemUser.value, pattern });
  }
  return out;
}

function pgUserNames(
  value: string,
  quoted: boolean,
  systemIsRegex: boolean,
  o: { role: string; major: number; memberOf: (user: string, group: string) => boolean },
): boolean {
  if (o.major >= 16) {
    if (value.startsWith('/')) return compileName(value.slice(1))?.test(o.role) ?? false;
    if (!quoted && value === 'all') return true;
    if (!quoted && value.startsWith('+')) return o.memberOf(o.role, value.slice(1));
  }
  if (systemIsRegex && value.includes('\\1')) {
    // The capture is unknown: the role must fit the text around it.
    const [before, ...rest] = value.split('\\1');
    const after = rest.join('\\1');
    return o.role.length >= before!.length + after.length && o.role.startsWith(before!) && o.role.endsWith(after);
  }
  return value === o.role;
}
