/**
 * The connection matrix: for each source class (local socket, loopback, each configured network
 * range, anywhere) and each login role, the method the server would pick, computed with the
 * matcher over the on-disk rules.
 */
import type { Snapshot } from '../cluster/introspect.js';
import { formatIp, parseIp } from '../conf/ip.js';
import { interfaceFacts } from '../hba/interfaces.js';
import { matchConnection, type ConnectionSource } from '../hba/match.js';
import { networkRules, prefixBits, where, type PlacedRule } from './rules.js';

export interface MatrixSource {
  /** `local`, `loopback`, a range such as `10.8.0.0/16`, or `anywhere`. */
  label: string;
  /** The source tried for the class: `local` or one address in it. */
  address: string;
}

export interface ConnectionMatrix {
  /** The database the connections name (methods can differ per database). */
  database: string;
  sources: MatrixSource[];
  roles: string[];
  /** role → source label → method, `no entry`, or `undecided` (a host-name, or samehost/samenet off the server's host, rule before any match). */
  cells: Record<string, Record<string, string>>;
  /** Configured ranges left out of the columns (only the widest are shown). */
  moreRanges?: number;
}

/** An address inside a network: its first host (network + 1) where there is one. */
function sampleAddress(address: string, mask: string): string {
  const ip = parseIp(address)!;
  const m = parseIp(mask)!.bytes;
  const bytes = ip.bytes.map((b, i) => b & m[i]!);
  if (m[m.length - 1] !== 0xff) bytes[bytes.length - 1] = bytes[bytes.length - 1]! | 1;
  return formatIp({ family: ip.family, bytes: new Uint8Array(bytes) });
}

/** At most this many network ranges get a column (the widest first); the rest are counted. */
const MAX_RANGES = 10;

/**
 * For each role, the rules whose user field can name it, in file order. Rules that list only
 * plain names are indexed by name; the others (all, +group, /regex) are candidates for everyone.
 * Filtering by user first keeps a 1,000-role matrix over a 10,000-line file fast.
 */
function rulesByRole(
  all: readonly PlacedRule[],
  memberOf: (user: string, group: string) => boolean,
): (role: string) => PlacedRule[] {
  // The matrix is for connections without SSL or GSS encryption: rules that demand them never match.
  const rules = all.filter((r) => r.rule.type !== 'hostssl' && r.rule.type !== 'hostgssenc');
  const generic: number[] = [];
  const byName = new Map<string, number[]>();
  rules.forEach((r, i) => {
    const plain = r.rule.users.every((t) => !t.regex && (t.quoted || !(t.value === 'all' || t.value.startsWith('+'))));
    if (!plain) generic.push(i);
    else for (const t of r.rule.users) (byName.get(t.value) ?? byName.set(t.value, []).get(t.value)!).push(i);
  });
  const canName = (r: PlacedRule, role: string) =>
    r.rule.users.some((t) => t.quoted || !t.value.startsWith('+') || memberOf(role, t.value.slice(1)));
  return (role) => {
    const own = byName.get(role) ?? [];
    const mine = generic.filter((i) => canName(rules[i]!, role));
    const merged: PlacedRule[] = [];
    let a = 0;
    let b = 0;
    while (a < mine.length || b < own.length) {
      const next = b >= own.length || (a < mine.length && mine[a]! < own[b]!) ? mine[a++]! : own[b++]!;
      if (merged.at(-1) !== rules[next]) merged.push(rules[next]!);
    }
    return merged;
  };
}

/** Each network range the rules name, with an address in it; once per set of rules (the planner asks for every database). */
function rangesOf(s: Snapshot): Map<string, { address: string; bits: number }> {
  const key = s.hba.loaded?.rules;
  const known = key && rangeCache.get(key);
  if (known) return known;
  const ranges = new Map<string, { address: string; bits: number }>();
  for (const r of networkRules(s)) {
    const a = r.rule.address;
    if (a?.kind !== 'cidr') continue;
    const label = where(r.rule);
    if (ranges.has(label)) continue;
    const address = sampleAddress(a.address, a.mask);
    if (address === '127.0.0.1' || address === '::1') continue;
    ranges.set(label, { address, bits: (prefixBits(r.rule)?.bits ?? 128) - (a.family === 6 ? 96 : 0) });
  }
  if (key) rangeCache.set(key, ranges);
  return ranges;
}

const rangeCache = new WeakMap<object, Map<string, { address: string; bits: number }>>();

export function connectionMatrix(s: Snapshot, database = 'postgres'): ConnectionMatrix {
  const sources: MatrixSource[] = [
    { label: 'local', address: 'local' },
    { label: 'loopback', address: '127.0.0.1' },
  ];
  const ranges = rangesOf(s);
  const widest = [...ranges].sort((x, y) => x[1].bits - y[1].bits).slice(0, MAX_RANGES);
  for (const [label, { address }] of widest) sources.push({ label, address });
  // TEST-NET-3: an address no private range contains, standing for "the internet".
  sources.push({ label: 'anywhere', address: '203.0.113.9' });

  const groups = new Map(s.roles.map((r) => [r.name, new Set(r.allGroups)]));
  const facts = {
    memberOf: (u: string, g: string) => u === g || (groups.get(u)?.has(g) ?? false),
    ...interfaceFacts(s.serverHost),
  };
  const candidates = rulesByRole(s.hba.loaded?.rules ?? [], facts.memberOf);
  const roles = s.roles.filter((r) => r.login).map((r) => r.name);
  const cells: ConnectionMatrix['cells'] = {};
  for (const role of roles) {
    cells[role] = {};
    const rules = candidates(role);
    for (const src of sources) {
      const source: ConnectionSource =
        src.address === 'local' ? { kind: 'local' } : { kind: 'host', address: src.address, ssl: false };
      const m = matchConnection(rules, { source, database, user: role }, facts);
      cells[role]![src.label] = m.kind === 'match' ? m.method : m.kind === 'none' ? 'no entry' : 'undecided';
    }
  }
  return {
    database,
    sources,
    roles,
    cells,
    ...(ranges.size > MAX_RANGES ? { moreRanges: ranges.size - MAX_RANGES } : {}),
  };
}
