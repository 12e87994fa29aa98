import type { AuditCheck } from '../finding-types.js';

/** Config files and the data directory readable by group or other. */
export const check: AuditCheck = {
  id: 'file-permissions',
  title: 'configuration files readable by other users',
  run(s) {
    const loose = s.files.filter(
      (f) => f.mode !== undefined && f.role !== 'ssl_key_file' && f.role !== 'ssl_cert_file' && (f.mode & 0o007) !== 0,
    );
    return loose.length === 0
      ? []
      : [
          {
            severity: 'medium' as const,
            evidence: loose.map((f) => `${f.role} ${f.path}: mode ${f.mode!.toString(8).padStart(4, '0')}`),
            why: 'Every account on the host can read who may connect from where, and any secret kept in these files (primary_conninfo, ldapbindpasswd).',
            fix: { stage: 'flip' as const, text: 'chmod 0600 (0640 where a group must read them).' },
            cis: 'Directory and File Permissions',
          },
        ];
  },
};
