/**
 * No consumer cut off by the flip: each path a consumer reaches the server by (its DSN, its live
 * sessions) is matched, as its new role, against the final pg_hba.conf with the project's own
 * matcher. Only a method that takes the password the consumer file now holds lets it in; a
 * `reject`, no entry, or a method that ignores the password (peer, ident, cert…) cuts it off.
 * Pure: the plan input and the final lines in, one problem per cut-off path out.
 */
import type { HbaLine } from '../conf/hba-types.js';
import { interfaceFacts } from '../hba/interfaces.js';
import { matchConnection } from '../hba/match.js';
import type { PlanInput } from './input.js';

const TAKES_PASSWORD = new Set(['trust', 'scram-sha-256', 'md5', 'password']);

/** A range that would admit `address` alone, for the fix. */
const rangeOf = (address: string) => (address.includes(':') ? `${address}/128` : `${address}/32`);

export function consumerLockouts(input: PlanInput, finalLines: readonly HbaLine[]): string[] {
  const file = input.hba.file;
  const rules = finalLines.flatMap((l) => (l.kind === 'record' ? [{ rule: l.rule, file, line: l.line }] : []));
  const facts = {
    memberOf: (u: string, g: string) => u === g,
    serverMajor: input.snapshot.major,
    ...interfaceFacts(input.snapshot.serverHost),
  };
  const out: string[] = [];
  for (const c of input.consumers) {
    const spec = input.spec.consumers.find((x) => x.name === c.name)!;
    const role = input.spec.roles.find((r) => r.name === spec.role)!;
    const database = c.database ?? role.databases[0]!;
    for (const p of c.paths ?? []) {
      const source =
        p.from === 'local' ? { kind: 'local' as const } : { kind: 'host' as const, address: p.from, ssl: false };
      let m: ReturnType<typeof matchConnection>;
      try {
        m = matchConnection(rules, { source, database, user: role.name }, facts);
      } catch {
        continue; // not a numeric address: nothing the matcher can judge
      }
      if (m.kind === 'match' && TAKES_PASSWORD.has(m.method)) continue;
      const hit =
        m.kind === 'none'
          ? `no pg_hba.conf entry in ${file}`
          : m.kind === 'undecided'
            ? `${file} line ${m.line}, which cannot be decided here (${m.reason})`
            : `${file} line ${m.line} (${m.method})`;
      const from = p.from === 'local' ? 'the local socket' : p.from;
      const fix =
        p.from === 'local'
          ? `give ${role.name} a "local" rule with scram-sha-256, or change the DSN to use TCP from a trusted range`
          : `add the range (e.g. ${rangeOf(p.from)}) to network.trustedRanges, or change the DSN so the consumer connects from a trusted range`;
      // Sessions are told apart only by what the spec says of the consumer: without it, every session on the old user counts.
      const whose =
        p.via.includes('session') && !spec.application && !spec.clientAddress
          ? ` (a session of ${c.oldUser}: if it is not this consumer's, set its "application" or "clientAddress" in the spec)`
          : '';
      out.push(
        `consumer "${c.name}" would be cut off after the flip: ${p.via}${whose} reaches the server from ${from}, where ${role.name} to database ${database} gets ${hit}; ${fix}`,
      );
    }
  }
  return out;
}
