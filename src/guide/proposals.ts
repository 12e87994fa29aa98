/**
 * What the guide proposes, from what the server shows: trusted ranges (the network rules'
 * ranges no wider than /8, and the /24 of every client address seen in pg_stat_activity), and one
 * least-privilege role per consumer (user × application × client address). Pure.
 */
import { prefixBits, where, type ClientGroup, type Snapshot } from '../index.js';

export interface RangeSuggestion {
  range: string;
  why: string;
}

export interface RoleSuggestion {
  /** The consumer as pg_stat_activity shows it. */
  consumer: ClientGroup;
  name: string;
  template: 'app-readwrite' | 'readonly';
  database: string;
}

/** The /24 (IPv4) or /64 (IPv6) around an address. */
export function around(address: string): string {
  if (address.includes(':')) return `${address.split(':').slice(0, 4).join(':')}::/64`;
  return `${address.split('.').slice(0, 3).join('.')}.0/24`;
}

const isLoopback = (a: string) => a === '127.0.0.1' || a === '::1';

export function suggestRanges(s: Snapshot): RangeSuggestion[] {
  const out = new Map<string, string>();
  for (const c of s.clients) {
    if (c.clientAddress && !isLoopback(c.clientAddress))
      out.set(
        around(c.clientAddress),
        `clients connected from ${c.clientAddress} (${c.user}${c.application ? `, ${c.application}` : ''})`,
      );
  }
  for (const r of s.hba.loaded?.rules ?? []) {
    const bits = prefixBits(r.rule);
    if (r.rule.type === 'local' || !bits || r.rule.address?.kind !== 'cidr') continue;
    const label = where(r.rule);
    if (bits.bits >= (bits.family === 4 ? 8 : 32) && !isLoopback(r.rule.address.address) && !out.has(label))
      out.set(label, `${r.file.split('/').at(-1)}:${r.line} allows it`);
  }
  return [...out].map(([range, why]) => ({ range, why }));
}

/** A role name from an application name: lower case, [a-z0-9_], at most 63 bytes, never a reserved prefix. */
export function roleName(application: string, user: string): string {
  const base =
    (application || user)
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'app';
  const name = /^[a-z_]/.test(base) ? base : `app_${base}`;
  return `${name.replace(/^pg_/, 'app_').slice(0, 59)}_app`;
}

/** One role per consumer; pgharden's own sessions and local-socket admin sessions are left out. */
export function suggestRoles(s: Snapshot): RoleSuggestion[] {
  const seen = new Set<string>();
  const out: RoleSuggestion[] = [];
  for (const c of s.clients) {
    if (c.application.startsWith('pgharden') || c.clientAddress === null) continue;
    const name = roleName(c.application, c.user);
    if (seen.has(name)) continue;
    seen.add(name);
    out.push({
      consumer: c,
      name,
      template: /report|dash|read|analytic|bi\b/i.test(c.application) ? 'readonly' : 'app-readwrite',
      database: c.database,
    });
  }
  return out;
}
