import type { AuditCheck } from '../finding-types.js';

/** The SSL private key readable by group or other. */
export const check: AuditCheck = {
  id: 'ssl-key-permissions',
  title: 'SSL private key readable by other users',
  run(s) {
    const key = s.files.find((f) => f.role === 'ssl_key_file' && f.mode !== undefined);
    if (!key || (key.mode! & 0o077) === 0 || (key.uid === 0 && (key.mode! & 0o037) === 0)) return [];
    return [
      {
        severity: 'high' as const,
        evidence: [`ssl_key_file ${key.path}: mode ${key.mode!.toString(8).padStart(4, '0')}`],
        why: 'Whoever reads the key can impersonate the server to every client.',
        fix: { stage: 'manual' as const, text: 'chmod 0600 (0640 owned by root with the server in its group).' },
        cis: 'Ensure SSL is enabled and configured correctly',
      },
    ];
  },
};
