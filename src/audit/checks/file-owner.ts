import type { AuditCheck } from '../finding-types.js';

/** Config files not owned by the server's OS user (the data directory's owner). */
export const check: AuditCheck = {
  id: 'file-owner',
  title: "configuration files not owned by the server's user",
  run(s) {
    if (s.serverUid === undefined) return [];
    const odd = s.files.filter((f) => f.uid !== undefined && f.uid !== s.serverUid && f.uid !== 0);
    return odd.length === 0
      ? []
      : [
          {
            severity: 'medium' as const,
            evidence: odd.map((f) => `${f.role} ${f.path}: uid ${f.uid}, server runs as uid ${s.serverUid}`),
            why: 'Another account can rewrite authentication or settings; the next reload applies it.',
            fix: {
              stage: 'manual' as const,
              text: "chown the files to the server's OS user (or root with group read).",
            },
          },
        ];
  },
};
