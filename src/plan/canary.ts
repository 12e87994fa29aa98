/**
 * Canary rules: while every other client still gets in under the old rules, each new role gets
 * its own `scram-sha-256` rule, limited to its databases and the trusted ranges, ABOVE all other
 * rules (first match wins), so its password is proven under scram before anyone relies on it.
 * Under `trust` any password "works"; under the canary rule only the right one does.
 * Pure: the file's lines in, the candidate text out; every other line is kept byte for byte.
 */
import type { HbaLine } from '../conf/hba-types.js';

export interface CanaryRole {
  name: string;
  databases: string[];
  /** The ranges this role needs lines for (absent: every trusted range). */
  ranges?: string[];
  /** The role exists already (day two): its lines are for ranges it was not yet asked a password from. */
  existing?: boolean;
}

/** A name as pg_hba.conf needs it: quoted when it is a keyword or holds special characters. */
export function hbaName(name: string): string {
  const keyword = /^(all|sameuser|samerole|samegroup|replication)$/.test(name);
  // A backslash ending a physical line continues it (16+): quoted, the name never ends a line.
  return keyword || /[\s,"#@+/\\]/.test(name) || name === '' ? `"${name.replaceAll('"', '""')}"` : name;
}

const CANARY_HEADER = '# pgharden: canary rules while consumers move to their new roles; the flip keeps them';

const eolOf = (raw: string) => (raw.endsWith('\r\n') ? '\r\n' : raw.endsWith('\n') ? '\n' : '');

/** The canary lines, one per role and trusted range, in the file's column layout. */
export function canaryLines(roles: readonly CanaryRole[], trustedRanges: readonly string[], eol = '\n'): string[] {
  const out: string[] = [];
  for (const r of roles) {
    for (const range of r.ranges ?? trustedRanges) {
      const db = r.databases.map(hbaName).join(',');
      out.push(
        `host    ${db.padEnd(15)} ${hbaName(r.name).padEnd(15)} ${range.padEnd(23)} scram-sha-256  # pgharden: canary for the ${r.existing ? '' : 'new '}role ${hbaName(r.name)}${eol}`,
      );
    }
  }
  return out;
}

/** The file with the canary lines inserted before its first rule (or at the end when it has none). */
export function withCanary(
  lines: readonly HbaLine[],
  roles: readonly CanaryRole[],
  trustedRanges: readonly string[],
): string {
  const eol = lines.map((l) => eolOf(l.raw)).find(Boolean) ?? '\n';
  const added = canaryLines(roles, trustedRanges, eol);
  if (!added.length) return lines.map((l) => l.raw).join('');
  // A later plan adds its lines under the canary header an earlier plan wrote.
  const header = lines.findIndex((l) => l.kind === 'comment' && l.raw.startsWith(CANARY_HEADER));
  if (header !== -1) {
    const raws = lines.map((l) => l.raw);
    raws.splice(header + 1, 0, ...added);
    return raws.join('');
  }
  const first = lines.findIndex((l) => l.kind !== 'comment' && l.kind !== 'blank');
  let at = first === -1 ? lines.length : first;
  // Above the comments that introduce the first rule, so they stay with it.
  while (first !== -1 && at > 0 && lines[at - 1]!.kind === 'comment') at -= 1;
  const raws = lines.map((l) => l.raw);
  // A last line without a newline would run into an appended canary line.
  if (at === lines.length && raws.length && !eolOf(raws.at(-1)!)) raws[raws.length - 1] += eol;
  raws.splice(at, 0, `${CANARY_HEADER}${eol}`, ...added, ...(at < lines.length ? [eol] : []));
  return raws.join('');
}
