import type { AuditCheck } from '../finding-types.js';

/** password_encryption other than scram-sha-256: new passwords are stored as md5. */
export const check: AuditCheck = {
  id: 'password-encryption',
  title: 'password_encryption is not scram-sha-256',
  run(s) {
    const v = s.settings.password_encryption;
    return v === null || v === undefined || v === 'scram-sha-256'
      ? []
      : [
          {
            severity: 'medium' as const,
            evidence: [`password_encryption = '${v}'`],
            why: 'Passwords set from now on are stored as md5, which scram-sha-256 rules cannot use and which stolen catalogs replay.',
            fix: {
              stage: 'roles' as const,
              text: "ALTER SYSTEM SET password_encryption = 'scram-sha-256' (the plan's roles stage).",
            },
          },
        ];
  },
};
