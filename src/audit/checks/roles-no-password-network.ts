import type { AuditCheck } from '../finding-types.js';

/** Login roles with no password that clients use over the network: the flip would lock them out. */
export const check: AuditCheck = {
  id: 'roles-no-password-network',
  title: 'network consumers log in as roles with no password',
  run(s) {
    const byName = new Map(s.roles.map((r) => [r.name, r]));
    const users = [...new Set(s.clients.filter((c) => c.clientAddress !== null).map((c) => c.user))].filter(
      (u) => byName.get(u)?.password === 'none',
    );
    return users.map((u) => ({
      severity: 'high' as const,
      evidence: s.clients
        .filter((c) => c.user === u && c.clientAddress !== null)
        .map(
          (c) =>
            `role "${u}" has no password; ${c.sessions} session(s) from ${c.clientAddress} (${c.application || 'no application_name'}, database ${c.database})`,
        ),
      why: 'These clients work today only because a trust rule lets them in; once authentication needs a password they fail.',
      fix: {
        stage: 'consumers' as const,
        text: "Move each consumer to a least-privilege role with a password before the flip (the plan's roles, canary and consumers stages).",
      },
    }));
  },
};
