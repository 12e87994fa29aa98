import type { AuditCheck } from '../finding-types.js';

/** This host talking to itself (127.0.0.1, ::1): nothing crosses a wire. */
const sameHost = (a: string) => a === '127.0.0.1' || a === '::1';

/** With ssl on, sessions over TCP that do not use it, as pg_stat_ssl shows them (ssl off: ssl-off-network says it). */
export const check: AuditCheck = {
  id: 'tls-sessions-plain',
  title: 'clients connected over the network without TLS',
  run(s) {
    if (s.settings.ssl !== 'on') return [];
    const plain = s.clients.filter((c) => c.clientAddress !== null && !c.ssl && !sameHost(c.clientAddress));
    if (!plain.length) return [];
    return [
      {
        severity: 'medium',
        evidence: plain.map(
          (c) =>
            `${c.sessions} session${c.sessions === 1 ? '' : 's'} of ${c.user}${c.application ? ` (${c.application})` : ''} from ${c.clientAddress} to ${c.database}: pg_stat_ssl.ssl = false`,
        ),
        why: 'Their queries and rows cross the network in clear, and without sslmode=verify-full these clients cannot tell the server from an impostor on the path.',
        fix: {
          stage: 'consumers',
          text: 'Move these consumers to sslmode=verify-full, sslrootcert and channel_binding=require: set tls in the spec and run pgharden plan --tls.',
        },
        cis: 'Ensure SSL is enabled and configured correctly',
      },
    ];
  },
};
