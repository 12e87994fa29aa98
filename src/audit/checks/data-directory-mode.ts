import type { AuditCheck } from '../finding-types.js';

/** The data directory open to group write or to other users. */
export const check: AuditCheck = {
  id: 'data-directory-mode',
  title: 'data directory readable by other users',
  run(s) {
    const d = s.files.find((f) => f.role === 'data_directory' && f.mode !== undefined);
    if (!d || (d.mode! & 0o027) === 0) return [];
    return [
      {
        severity: 'high' as const,
        evidence: [`data_directory ${d.path}: mode ${d.mode!.toString(8).padStart(4, '0')}`],
        why: 'Other accounts can read the raw table files, including pg_authid with every password verifier.',
        fix: { stage: 'manual' as const, text: 'chmod 0700 (0750 with group access enabled by initdb -g).' },
        cis: 'Directory and File Permissions',
      },
    ];
  },
};
