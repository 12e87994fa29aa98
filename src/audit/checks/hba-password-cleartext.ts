import { bySeverity } from '../group.js';
import type { AuditCheck } from '../finding-types.js';
import { quote, rulesOf } from '../rules.js';

/** The `password` method sends the password in clear text. */
export const check: AuditCheck = {
  id: 'hba-password-cleartext',
  title: 'cleartext password authentication',
  run(s) {
    return bySeverity(
      rulesOf(s)
        .filter((r) => r.rule.method === 'password')
        .map((r) => ({
          severity: r.rule.type === 'local' || r.rule.type === 'hostssl' ? ('medium' as const) : ('high' as const),
          evidence: [quote(s, r)],
          why: 'The client sends the password itself; without TLS anyone on the path reads it, and the server sees it in clear.',
          fix: { stage: 'flip' as const, text: 'Use scram-sha-256.' },
          cis: 'Ensure login via "host" TCP/IP Socket is configured correctly',
        })),
    );
  },
};
