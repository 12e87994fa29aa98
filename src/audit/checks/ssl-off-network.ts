import type { AuditCheck } from '../finding-types.js';
import { loopbackOnly, networkRules, quote } from '../rules.js';

/** ssl off while network rules admit clients. */
export const check: AuditCheck = {
  id: 'ssl-off-network',
  title: 'SSL is off while network access is allowed',
  run(s) {
    if (s.settings.ssl === 'on') return [];
    const rules = networkRules(s).filter((r) => r.rule.method !== 'reject' && !loopbackOnly(r.rule));
    return rules.length === 0
      ? []
      : [
          {
            severity: 'medium' as const,
            evidence: [`ssl = '${s.settings.ssl ?? 'off'}'`, ...rules.map((r) => quote(s, r))],
            why: 'Every session from the network travels unencrypted.',
            fix: {
              stage: 'manual' as const,
              text: 'Set tls: { mode: verify-full } in the spec and run pgharden plan --tls: a certificate, ssl on by reload, consumers moved to verify-full, then hostssl (docs/tls.md).',
            },
            cis: 'Ensure SSL is enabled and configured correctly',
          },
        ];
  },
};
