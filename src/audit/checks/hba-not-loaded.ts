import type { AuditCheck } from '../finding-types.js';

/** pg_hba.conf changed on disk after the last reload: what the file says is not what is in force. */
export const check: AuditCheck = {
  id: 'hba-not-loaded',
  title: 'pg_hba.conf on disk is not the one in force',
  run(s) {
    return !s.hbaChangedSinceReload
      ? []
      : [
          {
            severity: 'medium' as const,
            evidence: [`${s.hba.file} changed after the last reload (${s.confLoadTime})`],
            why: 'The server still authenticates with the rules it loaded earlier; this audit judged the file on disk, which the next reload or restart puts in force.',
            fix: {
              stage: 'preflight' as const,
              text: 'Review the difference, then reload (SELECT pg_reload_conf()) or restore the file.',
            },
          },
        ];
  },
};
