import { bySeverity } from '../group.js';
import type { AuditCheck, Severity } from '../finding-types.js';
import { loopbackOnly, networkRules, prefixBits, quote, where } from '../rules.js';

/** `trust` over TCP: anyone who reaches the port logs in as anyone, graded by the range's width. */
export const check: AuditCheck = {
  id: 'hba-trust-network',
  title: 'trust authentication over the network',
  run(s) {
    return bySeverity(
      networkRules(s)
        .filter((r) => r.rule.method === 'trust' && !loopbackOnly(r.rule))
        .map((r) => {
          const p = prefixBits(r.rule);
          const bits = p ? (p.family === 4 ? p.bits : p.bits - 96) : null;
          const severity: Severity = bits === null || bits <= 16 ? 'critical' : bits < 32 ? 'high' : 'medium';
          return {
            severity,
            evidence: [quote(s, r)],
            why: `Every client in ${where(r.rule)} can log in without a password, as any role this rule names, superusers included.`,
            fix: {
              stage: 'flip',
              text: 'Replace trust with scram-sha-256 after every consumer has a password (pgharden plan).',
            },
            cis: 'Ensure login via "host" TCP/IP Socket is configured correctly',
          };
        }),
    );
  },
};
