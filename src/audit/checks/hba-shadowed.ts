import { bySeverity } from '../group.js';
import type { AuditCheck } from '../finding-types.js';
import type { HbaRule, HbaToken } from '../../conf/hba-types.js';
import { inNetwork, maskPrefixLength, parseIp, type IpAddress } from '../../conf/ip.js';
import { quote, rulesOf, type PlacedRule } from '../rules.js';

const isAll = (tokens: HbaToken[]) => tokens.some((t) => !t.quoted && t.value === 'all');

const parsedCache = new Map<string, IpAddress>();
function parsed(text: string): IpAddress {
  let ip = parsedCache.get(text);
  if (!ip) {
    ip = parseIp(text)!;
    parsedCache.set(text, ip);
  }
  return ip;
}

/** Every address `inner` admits is admitted by `outer`. */
function covers(outer: HbaRule, inner: HbaRule): boolean {
  const o = outer.address;
  const i = inner.address;
  if (!o || !i) return !o && !i;
  if (o.kind === 'all') return true;
  if (o.kind !== 'cidr' || i.kind !== 'cidr' || o.family !== i.family) return false;
  const om = parsed(o.mask).bytes;
  const im = parsed(i.mask).bytes;
  // inner's network must lie inside outer's, and inner's mask be at least as long.
  return om.every((b, k) => (b & im[k]!) === b) && inNetwork(parsed(i.address), parsed(o.address), om);
}

/** The connection types `outer` admits include all of `inner`'s. */
function typeCovers(outer: HbaRule, inner: HbaRule): boolean {
  if (outer.type === inner.type) return true;
  return outer.type === 'host' && inner.type !== 'local';
}

function namesCover(outer: HbaToken[], inner: HbaToken[]): boolean {
  if (isAll(outer)) return !inner.some((t) => !t.quoted && t.value === 'replication');
  return inner.every(
    (t) =>
      !t.regex &&
      !t.value.startsWith('+') &&
      outer.some((o) => o.quoted === t.quoted && o.value === t.value && !o.regex && !o.value.startsWith('+')),
  );
}

const tokenKey = (t: HbaToken) => `${t.quoted}:${t.value}`;

/** The address as a string of bits, so that its network at every prefix length is a prefix of it. */
const bitsOf = (ip: IpAddress) => [...ip.bytes].map((b) => b.toString(2).padStart(8, '0')).join('');

/**
 * Where an earlier rule is filed: under the names it lists (or `all`) and the network it admits,
 * so a rule is compared only with the few earlier ones that could cover it (linear, not quadratic,
 * in the number of rules). Null when it covers no rule with an address it could be filed under.
 */
function addressKey(rule: HbaRule): string | null {
  const a = rule.address;
  if (!a) return 'none';
  if (a.kind === 'all') return 'all';
  if (a.kind !== 'cidr') return null;
  const len = maskPrefixLength(parsed(a.mask));
  // A netmask that is no prefix (e.g. 255.0.255.0) is rare: such rules are compared with every later one.
  return len === null ? 'odd' : `${a.family}:${bitsOf(parsed(a.address)).slice(0, len)}`;
}

/** The keys an earlier rule covering `rule` must be filed under, given the prefix lengths filed so far. */
function lookupKeys(rule: HbaRule, lengths: ReadonlyMap<number, ReadonlySet<number>>): string[] {
  const a = rule.address;
  if (!a) return ['none'];
  if (a.kind !== 'cidr') return ['all', 'odd'];
  const bits = bitsOf(parsed(a.address));
  return ['all', 'odd', ...[...(lengths.get(a.family) ?? [])].map((len) => `${a.family}:${bits.slice(0, len)}`)];
}

/** Rules no connection can ever reach, because an earlier rule takes every connection they would. */
export const check: AuditCheck = {
  id: 'hba-shadowed',
  title: 'rules that can never match',
  run(s) {
    const rules = rulesOf(s);
    // index[user][database][address] → earlier rules, where user and database are a name or "all".
    const index = new Map<string, Map<string, Map<string, number[]>>>();
    const file = (u: string, d: string, a: string, i: number) => {
      const byDb = index.get(u) ?? index.set(u, new Map()).get(u)!;
      const byAddr = byDb.get(d) ?? byDb.set(d, new Map()).get(d)!;
      (byAddr.get(a) ?? byAddr.set(a, []).get(a)!).push(i);
    };
    const lengths = new Map<number, Set<number>>();
    const out = [];
    for (let i = 0; i < rules.length; i++) {
      const inner = rules[i]!;
      const shadows = (j: number) => {
        const o = rules[j]!;
        return (
          typeCovers(o.rule, inner.rule) &&
          namesCover(o.rule.users, inner.rule.users) &&
          namesCover(o.rule.databases, inner.rule.databases) &&
          covers(o.rule, inner.rule)
        );
      };
      const keys = lookupKeys(inner.rule, lengths);
      const earliest = (u: string) => {
        let best: number | undefined;
        for (const d of ['all', tokenKey(inner.rule.databases[0]!)]) {
          const byAddr = index.get(u)?.get(d);
          if (byAddr)
            for (const k of keys)
              for (const j of byAddr.get(k) ?? []) if ((best === undefined || j < best) && shadows(j)) best = j;
        }
        return best;
      };
      // Any earlier rule that covers this one proves it dead; the first found is quoted, a rule for all users first.
      const byIndex = earliest('all') ?? earliest(tokenKey(inner.rule.users[0]!));
      const by: PlacedRule | undefined = byIndex === undefined ? undefined : rules[byIndex];
      const a = addressKey(inner.rule);
      if (a !== null) {
        const ad = inner.rule.address;
        if (ad?.kind === 'cidr' && a !== 'odd')
          (lengths.get(ad.family) ?? lengths.set(ad.family, new Set()).get(ad.family)!).add(a.length - 2);
        const users = isAll(inner.rule.users) ? ['all'] : inner.rule.users.map(tokenKey);
        const dbs = isAll(inner.rule.databases) ? ['all'] : inner.rule.databases.map(tokenKey);
        for (const u of users) for (const d of dbs) file(u, d, a, i);
      }
      if (by) {
        out.push({
          severity: 'low' as const,
          evidence: [quote(s, inner), `shadowed by ${quote(s, by)}`],
          why: 'The earlier rule takes every connection this one describes, so this line is dead: what it seems to allow or forbid never happens.',
          fix: { stage: 'flip' as const, text: 'Remove the dead line or move it above the rule that shadows it.' },
        });
      }
    }
    return bySeverity(out);
  },
};
