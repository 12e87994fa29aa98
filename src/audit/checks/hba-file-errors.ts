import { rowFailure } from '../../conf/hba-failures.js';
import type { AuditCheck } from '../finding-types.js';

/** The pg_hba.conf on disk has lines the server rejects: a restart would fail. */
export const check: AuditCheck = {
  id: 'hba-file-errors',
  title: 'pg_hba.conf on disk has errors',
  run(s) {
    const loaded = s.hba.loaded;
    const errors = (loaded?.rows ?? []).flatMap((r) => {
      const error = rowFailure(loaded!, r);
      return error === null ? [] : [{ ...r, error }];
    });
    return errors.length === 0
      ? []
      : [
          {
            severity: 'high' as const,
            evidence: errors.map((r) => `${r.file}:${r.line_number}: ${r.error}`),
            why: 'A reload keeps the old rules and only logs this; the next restart refuses to start at all.',
            fix: {
              stage: 'preflight' as const,
              text: 'Fix the lines (pgharden inspect hba shows each one) before any change.',
            },
          },
        ];
  },
};
