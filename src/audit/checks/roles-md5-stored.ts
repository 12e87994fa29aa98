import type { AuditCheck } from '../finding-types.js';

/** Passwords stored as md5 hashes in pg_authid. */
export const check: AuditCheck = {
  id: 'roles-md5-stored',
  title: 'passwords stored as md5',
  run(s) {
    const md5 = s.roles.filter((r) => r.password === 'md5');
    return md5.length === 0
      ? []
      : [
          {
            severity: 'medium' as const,
            evidence: md5.map((r) => `role "${r.name}": md5 password`),
            why: 'An md5 verifier is the password for md5 authentication, and cannot be used by scram-sha-256: these roles are locked out by the flip.',
            fix: {
              stage: 'roles' as const,
              text: 'Set a new password as a SCRAM verifier (pgharden plan does, before the flip).',
            },
          },
        ];
  },
};
