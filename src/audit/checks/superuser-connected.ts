import type { AuditCheck } from '../finding-types.js';

/** Client sessions connected as a superuser right now (other than pgharden's own). */
export const check: AuditCheck = {
  id: 'superuser-connected',
  title: 'applications connected as superuser right now',
  run(s) {
    const su = new Set(s.roles.filter((r) => r.superuser).map((r) => r.name));
    const sessions = s.clients.filter((c) => su.has(c.user) && !c.application.startsWith('pgharden'));
    return sessions.length === 0
      ? []
      : [
          {
            severity: 'high' as const,
            evidence: sessions.map(
              (c) =>
                `${c.sessions} session(s) as "${c.user}" from ${c.clientAddress ?? 'the local socket'} (${c.application || 'no application_name'}, database ${c.database})`,
            ),
            why: 'A bug or an injection in these applications runs with every privilege: it can drop any table or read any secret.',
            fix: {
              stage: 'consumers' as const,
              text: "Move each application to its own least-privilege role (the plan's roles and consumers stages).",
            },
          },
        ];
  },
};
