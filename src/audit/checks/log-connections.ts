import type { AuditCheck } from '../finding-types.js';

/** log_connections off: nobody can tell later who connected from where. */
export const check: AuditCheck = {
  id: 'log-connections-off',
  title: 'connections are not logged',
  run(s) {
    const v = s.settings.log_connections;
    return v === null || v === undefined || (v !== 'off' && v !== '')
      ? []
      : [
          {
            severity: 'low' as const,
            evidence: [`log_connections = '${v}'`],
            why: 'After an incident there is no record of which client connected as which role from where.',
            fix: { stage: 'manual' as const, text: 'Set log_connections = on (a reload is enough).' },
            cis: "Ensure 'log_connections' is enabled",
          },
        ];
  },
};
