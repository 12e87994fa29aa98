import type { AuditCheck } from '../finding-types.js';

/** More than one superuser role. */
export const check: AuditCheck = {
  id: 'multiple-superusers',
  title: 'more than one superuser',
  run(s) {
    const su = s.roles.filter((r) => r.superuser);
    return su.length <= 1
      ? []
      : [
          {
            severity: 'medium' as const,
            evidence: su.map((r) => `role "${r.name}": superuser${r.login ? ', can log in' : ''}`),
            why: 'Each superuser is a complete way in; applications and people rarely need more than one, local-only.',
            fix: {
              stage: 'roles' as const,
              text: 'Give applications least-privilege roles and revoke SUPERUSER from the rest (manual, after the plan).',
            },
            cis: 'Ensure excessive administrative privileges are revoked',
          },
        ];
  },
};
