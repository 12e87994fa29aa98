import type { AuditCheck } from '../finding-types.js';

/** TLS versions with known weaknesses that ssl_min_protocol_version still admits. */
const WEAK = new Set(['', 'TLSv1', 'TLSv1.1']);

/** With ssl on, ssl_min_protocol_version lets clients negotiate TLS 1.0 or 1.1. */
export const check: AuditCheck = {
  id: 'tls-min-protocol-weak',
  title: 'the server accepts TLS 1.0 or 1.1',
  run(s) {
    const v = s.settings.ssl_min_protocol_version;
    if (s.settings.ssl !== 'on' || v === null || v === undefined || !WEAK.has(v)) return [];
    return [
      {
        severity: 'medium',
        evidence: [`ssl_min_protocol_version = '${v}'`],
        why: 'TLS 1.0 and 1.1 are deprecated (RFC 8996): a client or a man in the middle can push a session down to them.',
        fix: {
          stage: 'manual',
          text: "Set tls.minProtocol: TLSv1.2 (or TLSv1.3) in the spec and run pgharden plan --tls, or ALTER SYSTEM SET ssl_min_protocol_version = 'TLSv1.2' and reload.",
        },
        cis: 'Ensure SSL is enabled and configured correctly',
      },
    ];
  },
};
