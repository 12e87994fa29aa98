import type { AuditCheck } from '../finding-types.js';

/** Non-superuser login roles with CREATEROLE or BYPASSRLS. */
export const check: AuditCheck = {
  id: 'login-role-powers',
  title: 'login roles with CREATEROLE or BYPASSRLS',
  run(s) {
    const roles = s.roles.filter((r) => r.login && !r.superuser && (r.createrole || r.bypassrls));
    return roles.length === 0
      ? []
      : [
          {
            severity: 'medium' as const,
            evidence: roles.map(
              (r) =>
                `role "${r.name}": ${[r.createrole && 'CREATEROLE', r.bypassrls && 'BYPASSRLS'].filter(Boolean).join(', ')}`,
            ),
            why: 'CREATEROLE can create and grant roles (before 16, almost any role); BYPASSRLS ignores every row-level security policy.',
            fix: {
              stage: 'roles' as const,
              text: 'Keep these powers on NOLOGIN admin roles granted to people, not to applications.',
            },
            cis: 'Ensure excessive administrative privileges are revoked',
          },
        ];
  },
};
