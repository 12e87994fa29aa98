import type { AuditCheck } from '../finding-types.js';
import { quote, rulesOf } from '../rules.js';

/** `trust` for every user on the local socket: any OS account on the host is any database role. */
export const check: AuditCheck = {
  id: 'hba-trust-local',
  title: 'trust for everyone on the local socket',
  run(s) {
    return rulesOf(s)
      .filter(
        (r) =>
          r.rule.type === 'local' &&
          r.rule.method === 'trust' &&
          r.rule.users.some((t) => !t.quoted && t.value === 'all'),
      )
      .map((r) => ({
        severity: 'high' as const,
        evidence: [quote(s, r)],
        why: 'Any process or user on the server host can connect as any role, including superusers, without a password.',
        fix: {
          stage: 'flip' as const,
          text: "Use peer for the server's OS user and scram-sha-256 for everyone else on the socket.",
        },
        cis: 'Ensure login via "local" UNIX Domain Socket is configured correctly',
      }));
  },
};
