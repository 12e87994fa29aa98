import type { AuditCheck } from '../finding-types.js';

/** PUBLIC may create objects in schema public (the default before 15). */
export const check: AuditCheck = {
  id: 'public-schema-create',
  title: 'every role may create objects in schema public',
  run(s) {
    return !s.publicCanCreate
      ? []
      : [
          {
            severity: 'medium' as const,
            evidence: [`PUBLIC has CREATE on schema public (PostgreSQL ${s.major})`],
            why: "Any role can plant functions or operators that other roles' queries then call (CVE-2018-1058).",
            fix: { stage: 'roles' as const, text: 'REVOKE CREATE ON SCHEMA public FROM PUBLIC in each database.' },
          },
        ];
  },
};
