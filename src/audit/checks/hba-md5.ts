import { bySeverity } from '../group.js';
import type { AuditCheck } from '../finding-types.js';
import { quote, rulesOf } from '../rules.js';

/** The `md5` method: a replayable challenge over an unsalted-by-design hash. */
export const check: AuditCheck = {
  id: 'hba-md5',
  title: 'md5 authentication method',
  run(s) {
    return bySeverity(
      rulesOf(s)
        .filter((r) => r.rule.method === 'md5')
        .map((r) => ({
          severity: 'medium' as const,
          evidence: [quote(s, r)],
          why: 'md5 hashes stolen from pg_authid log in as-is, and md5 is deprecated since PostgreSQL 18. (With SCRAM-stored passwords the server already uses SCRAM here.)',
          fix: {
            stage: 'flip' as const,
            text: 'Use scram-sha-256 once every role that logs in this way has a SCRAM password.',
          },
          cis: 'Ensure login via "host" TCP/IP Socket is configured correctly',
        })),
    );
  },
};
