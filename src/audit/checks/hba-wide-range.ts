import type { AuditCheck } from '../finding-types.js';
import { networkRules, quote, where, wide } from '../rules.js';

/** Ranges wider than /16 (IPv4) or /48 (IPv6) that are not reject rules. */
export const check: AuditCheck = {
  id: 'hba-wide-range',
  title: 'network ranges wider than /16 (IPv4) or /48 (IPv6)',
  run(s) {
    const rules = networkRules(s).filter((r) => r.rule.method !== 'reject' && wide(r.rule));
    return rules.length === 0
      ? []
      : [
          {
            severity: 'medium' as const,
            evidence: rules.map((r) => `${quote(s, r)} (${where(r.rule)})`),
            why: 'More hosts can try to log in than any consumer needs; every guessable password is exposed to all of them.',
            fix: {
              stage: 'flip' as const,
              text: "Narrow each rule to the consumers' real ranges (the spec's trusted ranges).",
            },
          },
        ];
  },
};
