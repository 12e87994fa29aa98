import type { Check } from '../types.js';
import type { HbaRule, HbaToken } from '../../conf/hba-types.js';
import { inNetwork, parseIp } from '../../conf/ip.js';
import { quote, rulesOf, type PlacedRule } from '../rules.js';

const isAll = (tokens: HbaToken[]) => tokens.some((t) => !t.quoted && t.value === 'all');

/** Every address `inner` admits is admitted by `outer`. */
function covers(outer: HbaRule, inner: HbaRule): boolean {
  const o = outer.address;
  const i = inner.address;
  if (!o || !i) return !o && !i;
  if (o.kind === 'all') return true;
  if (o.kind !== 'cidr' || i.kind !== 'cidr' || o.family !== i.family) return false;
  const om = parseIp(o.mask)!.bytes;
  const im = parseIp(i.mask)!.bytes;
  // inner's network must lie inside outer's, and inner's mask be at least as long.
  return om.every((b, k) => (b & im[k]!) === b) && inNetwork(parseIp(i.address)!, parseIp(o.address)!, om);
}

/** The connection types `outer` admits include all of `inner`'s. */
function typeCovers(outer: HbaRule, inner: HbaRule): boolean {
  if (outer.type === inner.type) return true;
  return outer.type === 'host' && inner.type !== 'local';
}

function namesCover(outer: HbaToken[], inner: HbaToken[]): boolean {
  if (isAll(outer)) return !inner.some((t) => !t.quoted && t.value === 'replication');
  return inner.every((t) => !t.value.startsWith('/') && !t.value.startsWith('+') && outer.some((o) => o.quoted === t.quoted && o.value === t.value && !o.value.startsWith('/') && !o.value.startsWith('+')));
}

/** Rules no connection can ever reach, because an earlier rule takes every connection they would. */
export const check: Check = {
  id: 'hba-shadowed',
  title: 'rules that can never match',
  run(s) {
    const rules = rulesOf(s);
    const out = [];
    for (let i = 0; i < rules.length; i++) {
      const inner = rules[i]!;
      const by = rules.slice(0, i).find((o: PlacedRule) =>
        typeCovers(o.rule, inner.rule) && covers(o.rule, inner.rule) && namesCover(o.rule.databases, inner.rule.databases) && namesCover(o.rule.users, inner.rule.users));
      if (by) {
        out.push({
          severity: 'low' as const,
          evidence: [quote(s, inner), `shadowed by ${quote(s, by)}`],
          why: 'The earlier rule takes every connection this one describes, so this line is dead: what it seems to allow or forbid never happens.',
          fix: { stage: 'flip' as const, text: 'Remove the dead line or move it above the rule that shadows it.' },
        });
      }
    }
    return out;
  },
};
