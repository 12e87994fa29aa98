import { bySeverity } from '../group.js';
import type { AuditCheck } from '../finding-types.js';
import { loopbackOnly, networkRules, quote } from '../rules.js';

/** trust for replication connections over the network: a full copy of the data for anyone. */
export const check: AuditCheck = {
  id: 'hba-trust-replication',
  title: 'trust for replication connections over the network',
  run(s) {
    return bySeverity(
      networkRules(s)
        .filter(
          (r) =>
            r.rule.method === 'trust' &&
            !loopbackOnly(r.rule) &&
            r.rule.databases.some((t) => !t.quoted && t.value === 'replication'),
        )
        .map((r) => ({
          severity: 'critical' as const,
          evidence: [quote(s, r)],
          why: 'Anyone in range can stream a complete physical copy of every database (pg_basebackup) without a password.',
          fix: {
            stage: 'flip' as const,
            text: "Use scram-sha-256 for a dedicated replication role, limited to the standbys' addresses.",
          },
          cis: 'Ensure login via "host" TCP/IP Socket is configured correctly',
        })),
    );
  },
};
