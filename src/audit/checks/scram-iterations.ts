import type { AuditCheck } from '../finding-types.js';

/** scram_iterations (16+) below the default of 4096. */
export const check: AuditCheck = {
  id: 'scram-iterations-low',
  title: 'scram_iterations below the default',
  run(s) {
    const v = s.settings.scram_iterations;
    return v === null || v === undefined || Number(v) >= 4096
      ? []
      : [
          {
            severity: 'low' as const,
            evidence: [`scram_iterations = ${v}`],
            why: 'Fewer iterations make stolen SCRAM verifiers cheaper to brute-force.',
            fix: { stage: 'manual' as const, text: 'Keep scram_iterations at 4096 or more, then reset passwords.' },
          },
        ];
  },
};
