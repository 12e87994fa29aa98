import type { AuditCheck } from '../finding-types.js';

/** The SSL private key owned by an OS user other than the server's or root. */
export const check: AuditCheck = {
  id: 'tls-key-owner',
  title: 'SSL private key owned by another OS user',
  run(s) {
    const key = s.files.find((f) => f.role === 'ssl_key_file' && f.uid !== undefined);
    if (!key || s.serverUid === undefined || key.uid === s.serverUid || key.uid === 0) return [];
    return [
      {
        severity: 'high',
        evidence: [`ssl_key_file ${key.path}: owned by uid ${key.uid}; the server runs as uid ${s.serverUid}`],
        why: 'The owner of the key can read it whatever its mode, and with it impersonate the server to every client; the server itself refuses a key it does not own unless root owns it.',
        fix: {
          stage: 'manual',
          text: `chown the key to the server's OS user (uid ${s.serverUid}) with mode 0600, or to root with mode 0640 and the server's group.`,
        },
        cis: 'Ensure SSL is enabled and configured correctly',
      },
    ];
  },
};
