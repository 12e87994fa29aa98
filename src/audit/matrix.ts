/**
 * The connection matrix: for each source class (local socket, loopback, each configured network
 * range, anywhere) and each login role, the method the server would pick, computed with the
 * matcher over the on-disk rules.
 */
import type { Snapshot } from '../cluster/introspect.js';
import { formatIp, parseIp } from '../conf/ip.js';
import { matchConnection, type ConnectionSource } from '../hba/match.js';
import { networkRules, where } from './rules.js';

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
  /** role → source label → method, `no entry`, or `undecided` (a host-name rule before any match). */
  cells: Record<string, Record<string, string>>;
}

/** An address inside a network: its first host (network + 1) where there is one. */
function sampleAddress(address: string, mask: string): string {
  const ip = parseIp(address)!;
  const m = parseIp(mask)!.bytes;
  const bytes = ip.bytes.map((b, i) => b & m[i]!);
  if (m[m.length - 1] !== 0xff) bytes[bytes.length - 1] = bytes[bytes.length - 1]! | 1;
  return formatIp({ family: ip.family, bytes: new Uint8Array(bytes) });
}

export function connectionMatrix(s: Snapshot, database = 'postgres'): ConnectionMatrix {
  const sources: MatrixSource[] = [{ label: 'local', address: 'local' }, { label: 'loopback', address: '127.0.0.1' }];
  const seen = new Set(['127.0.0.1']);
  for (const r of networkRules(s)) {
    const a = r.rule.address;
    if (a?.kind !== 'cidr') continue;
    const label = where(r.rule);
    const address = sampleAddress(a.address, a.mask);
    if (seen.has(label) || address === '127.0.0.1' || address === '::1') continue;
    seen.add(label);
    sources.push({ label, address });
  }
  // TEST-NET-3: an address no private range contains, standing for "the internet".
  sources.push({ label: 'anywhere', address: '203.0.113.9' });

  const groups = new Map(s.roles.map((r) => [r.name, new Set(r.allGroups)]));
  const facts = { memberOf: (u: string, g: string) => u === g || (groups.get(u)?.has(g) ?? false) };
  const rules = s.hba.loaded?.rules ?? [];
  const roles = s.roles.filter((r) => r.login).map((r) => r.name);
  const cells: ConnectionMatrix['cells'] = {};
  for (const role of roles) {
    cells[role] = {};
    for (const src of sources) {
      const source: ConnectionSource = src.address === 'local' ? { kind: 'local' } : { kind: 'host', address: src.address, ssl: false };
      const m = matchConnection(rules, { source, database, user: role }, facts);
      cells[role]![src.label] = m.kind === 'match' ? m.method : m.kind === 'none' ? 'no entry' : 'undecided';
    }
  }
  return { database, sources, roles, cells };
}
