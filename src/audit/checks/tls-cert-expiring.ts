import type { AuditCheck } from '../finding-types.js';

/** Days before expiry from which the audit warns (the spec's tls.expiryWarningDays default). */
export const EXPIRY_WARNING_DAYS = 30;

/** The server certificate expires within EXPIRY_WARNING_DAYS days, or has expired. */
export const check: AuditCheck = {
  id: 'tls-cert-expiring',
  title: 'the server certificate expires soon',
  run(s) {
    const c = s.certificate;
    if (!c || 'error' in c || c.daysLeft >= EXPIRY_WARNING_DAYS) return [];
    const expired = c.daysLeft < 0;
    return [
      {
        severity: expired ? 'high' : 'medium',
        evidence: [
          `ssl_cert_file ${c.path}: valid until ${c.notAfter} (${expired ? `expired ${Math.ceil(-c.daysLeft)} days ago` : `${Math.floor(c.daysLeft)} days left`}), sha256 ${c.sha256}`,
        ],
        why: expired
          ? 'Clients with sslmode=verify-ca or verify-full refuse an expired certificate: they cannot connect at all.'
          : 'When it expires, every client that verifies the server (verify-ca, verify-full) stops connecting.',
        fix: {
          stage: 'manual',
          text: 'Issue a new certificate from the same CA before it expires and reload (ssl_cert_file and ssl_key_file are re-read at reload; no restart).',
        },
        cis: 'Ensure SSL is enabled and configured correctly',
      },
    ];
  },
};
