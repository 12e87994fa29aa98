import type { AuditCheck } from '../finding-types.js';
import { loopbackOnly, networkRules, quote } from '../rules.js';

/** With ssl on, `host` rules that accept passwords without requiring TLS. */
export const check: AuditCheck = {
  id: 'hba-ssl-not-required',
  title: 'network rules do not require SSL',
  run(s) {
    if (s.settings.ssl !== 'on') return [];
    const rules = networkRules(s).filter(
      (r) => r.rule.type === 'host' && r.rule.method !== 'reject' && !loopbackOnly(r.rule),
    );
    return rules.length === 0
      ? []
      : [
          {
            severity: 'medium' as const,
            evidence: rules.map((r) => quote(s, r)),
            why: 'SSL is available but these rules also accept unencrypted sessions: queries, results and cleartext passwords cross the network readable.',
            fix: {
              stage: 'flip' as const,
              text: 'Set tls: { mode: verify-full } in the spec and run pgharden plan --tls: consumers move to verify-full first, then these rules become hostssl (docs/tls.md).',
            },
            cis: 'Ensure SSL is enabled and configured correctly',
          },
        ];
  },
};
