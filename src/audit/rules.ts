/** Facts about pg_hba.conf rules that several checks share. */
import type { RoleFacts, Snapshot } from '../cluster/introspect.js';
import type { HbaRule } from '../conf/hba-types.js';
import { maskPrefixLength, parseIp } from '../conf/ip.js';
import type { PlacedRule } from '../conf/load-hba.js';
import { compileName } from '../conf/regex.js';

export type { PlacedRule };

export function rulesOf(s: Snapshot): PlacedRule[] {
  return s.hba.loaded?.rules ?? [];
}

/** Rules for TCP connections (every type but `local`). */
export function networkRules(s: Snapshot): PlacedRule[] {
  return rulesOf(s).filter((r) => r.rule.type !== 'local');
}

/** Line number → raw text, per parsed file, built once (checks quote thousands of lines). */
const rawByLine = new WeakMap<object, Map<number, string>>();

/** The rule's line as written, quoted with file:line. */
export function quote(s: Snapshot, r: { file: string; line: number }): string {
  const lines = s.hba.loaded?.files.get(r.file)?.lines;
  let index = lines && rawByLine.get(lines);
  if (lines && !index) {
    index = new Map(lines.map((l) => [l.line, l.raw]));
    rawByLine.set(lines, index);
  }
  const raw = index?.get(r.line) ?? '';
  return `${r.file}:${r.line}: ${raw.replace(/\\\r?\n/g, ' ').trim()}`;
}

/** How many addresses the rule's address covers, as a prefix length (0 = everything); null for names. */
export function prefixBits(rule: HbaRule): { bits: number; family: 4 | 6 } | null {
  const a = rule.address;
  if (!a) return null;
  if (a.kind === 'all') return { bits: 0, family: 4 };
  if (a.kind !== 'cidr') return null;
  // Asked for every rule by several checks and each matrix: worked out once per rule.
  if (prefixCache.has(rule)) return prefixCache.get(rule)!;
  const mask = parseIp(a.mask);
  const bits = mask ? maskPrefixLength(mask) : null;
  const p = bits === null ? null : { bits, family: a.family };
  prefixCache.set(rule, p);
  return p;
}

const prefixCache = new WeakMap<HbaRule, { bits: number; family: 4 | 6 } | null>();

/**
 * True when the rule admits only 127.0.0.1 or ::1, the addresses local clients use. Other
 * 127.0.0.0/8 ranges count as networks: pgharden's tests and demo emulate networks there (so
 * nothing ever leaves the machine), and on a real server such a rule is at best a mistake.
 */
export function loopbackOnly(rule: HbaRule): boolean {
  const a = rule.address;
  if (a?.kind !== 'cidr') return false;
  const p = prefixBits(rule);
  return (
    p !== null &&
    ((a.family === 4 && a.address === '127.0.0.1' && p.bits === 32) || (a.address === '::1' && p.bits === 128))
  );
}

/** True when the range is wider than /16 (IPv4) or /48 (IPv6), or is `all`; `orEqual` counts /16 and /48 too. */
export function wide(rule: HbaRule, orEqual = false): boolean {
  const p = prefixBits(rule);
  if (!p) return rule.address?.kind === 'all';
  const limit = p.family === 4 ? 16 : 48;
  return orEqual ? p.bits <= limit : p.bits < limit;
}

/** Can this rule's user field match `role` (by name, `all`, `+group` through any membership, or regex)? */
export function userField(rule: HbaRule, role: RoleFacts): boolean {
  return rule.users.some((t) => {
    if (!t.quoted && t.value === 'all') return true;
    if (!t.quoted && t.value.startsWith('+')) {
      const g = t.value.slice(1);
      return role.name === g || role.allGroups.includes(g);
    }
    if (t.regex) return compileName(t.value.slice(1))?.test(role.name) ?? false;
    return t.value === role.name;
  });
}

/** The rule's address as a DBA writes it. */
export function where(rule: HbaRule): string {
  const a = rule.address;
  if (!a) return 'the local socket';
  if (a.kind === 'cidr') {
    const p = prefixBits(rule);
    return p ? `${a.address}/${p.bits}` : `${a.address} ${a.mask}`;
  }
  return a.kind === 'hostname' ? a.name : a.kind;
}
