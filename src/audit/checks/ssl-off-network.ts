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
              text: 'Install a certificate, set ssl = on (a reload is enough) and move network rules to hostssl.',
            },
            cis: 'Ensure SSL is enabled and configured correctly',
          },
        ];
  },
};
