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
}

/** A name as pg_hba.conf needs it: quoted when it is a keyword or holds special characters. */
export function hbaName(name: string): string {
  const keyword = /^(all|sameuser|samerole|samegroup|replication)$/.test(name);
  // A backslash ending a physical line continues it (16+): quoted, the name never ends a line.
  return keyword || /[\s,"#@+/\\]/.test(name) || name === '' ? `"${name.replaceAll('"', '""')}"` : name;
}

const eolOf = (raw: string) => (raw.endsWith('\r\n') ? '\r\n' : raw.endsWith('\n') ? '\n' : '');

/** The canary lines, one per role and trusted range, in the file's column layout. */
export function canaryLines(roles: readonly CanaryRole[], trustedRanges: readonly string[], eol = '\n'): string[] {
  const out: string[] = [];
  for (const r of roles) {
    for (const range of trustedRanges) {
      const db = r.databases.map(hbaName).join(',');
      out.push(
        `host    ${db.padEnd(15)} ${hbaName(r.name).padEnd(15)} ${range.padEnd(23)} scram-sha-256  # pgharden: canary for the new role ${hbaName(r.name)}${eol}`,
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
  const first = lines.findIndex((l) => l.kind !== 'comment' && l.kind !== 'blank');
  let at = first === -1 ? lines.length : first;
  // Above the comments that introduce the first rule, so they stay with it.
  while (first !== -1 && at > 0 && lines[at - 1]!.kind === 'comment') at -= 1;
  const raws = lines.map((l) => l.raw);
  // A last line without a newline would run into an appended canary line.
  if (at === lines.length && raws.length && !eolOf(raws.at(-1)!)) raws[raws.length - 1] += eol;
  const header = [`# pgharden: canary rules while consumers move to their new roles; the flip keeps them${eol}`];
  raws.splice(at, 0, ...header, ...canaryLines(roles, trustedRanges, eol), ...(at < lines.length ? [eol] : []));
  return raws.join('');
}
