import type { AuditCheck } from '../finding-types.js';

/**
 * Every pgBackRest repository of the stanza is a directory on this host (type posix, no
 * repository host): the disaster that takes the server takes its backups and archived WAL too.
 */
export const check: AuditCheck = {
  id: 'backup-same-host',
  title: 'the backups live on the server they protect',
  run(s) {
    const repos = s.recovery?.repositories;
    if (!repos?.length) return [];
    if (repos.some((r) => r.type !== 'posix' || r.host !== null)) return [];
    return [
      {
        severity: 'high',
        evidence: [
          ...repos.map(
            (r) => `repo${r.key}: a directory on this host, ${r.path} (repo${r.key}-type=posix, no repo${r.key}-host)`,
          ),
          `stanza ${s.recovery!.stanza ?? '?'}`,
        ],
        why: 'A lost disk, a lost host, a ransomware run or an rm -rf as the server user takes the database and every backup and archived WAL segment with it: point-in-time recovery is only as far away as the server itself.',
        fix: {
          stage: 'manual',
          text: 'Add a repository off this host: an object store (repo2-type=s3, gcs or azure, with repo2-cipher-type=aes-256-cbc), a repository host (repo2-host), or at least a mount that is not on this machine; keep the local one as a fast first copy if you like.',
        },
      },
    ];
  },
};
