import { bySeverity } from '../group.js';
import type { Check } from '../types.js';
import type { HbaRule, HbaToken } from '../../conf/hba-types.js';
import { inNetwork, parseIp, type IpAddress } from '../../conf/ip.js';
import { quote, rulesOf, type PlacedRule } from '../rules.js';

const isAll = (tokens: HbaToken[]) => tokens.some((t) => !t.quoted && t.value === 'all');

const parsedCache = new Map<string, IpAddress>();
function parsed(text: string): IpAddress {
  let ip = parsedCache.get(text);
  if (!ip) parsedCache.set(text, (ip = parseIp(text)!));
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
  return inner.every((t) => !t.regex && !t.value.startsWith('+') && outer.some((o) => o.quoted === t.quoted && o.value === t.value && !o.regex && !o.value.startsWith('+')));
}

/** Rules no connection can ever reach, because an earlier rule takes every connection they would. */
export const check: Check = {
  id: 'hba-shadowed',
  title: 'rules that can never match',
  run(s) {
    const rules = rulesOf(s);
    // Only a rule naming `all` users, or naming this rule's first user, can cover its users:
    // index earlier rules that way instead of comparing every pair (10,000-line files).
    const allUsers: number[] = [];
    const byUser = new Map<string, number[]>();
    const out = [];
    for (let i = 0; i < rules.length; i++) {
      const inner = rules[i]!;
      const first = inner.rule.users[0]!;
      const shadows = (j: number) => {
        const o = rules[j]!;
        return typeCovers(o.rule, inner.rule) && namesCover(o.rule.users, inner.rule.users) && namesCover(o.rule.databases, inner.rule.databases) && covers(o.rule, inner.rule);
      };
      // Any earlier rule that covers this one proves it dead; the first found is quoted.
      const byIndex = allUsers.find(shadows) ?? byUser.get(`${first.quoted}:${first.value}`)?.find(shadows);
      const by: PlacedRule | undefined = byIndex === undefined ? undefined : rules[byIndex];
      if (isAll(inner.rule.users)) allUsers.push(i);
      for (const t of inner.rule.users) {
        const key = `${t.quoted}:${t.value}`;
        (byUser.get(key) ?? byUser.set(key, []).get(key)!).push(i);
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
