import type { AuditCheck } from '../finding-types.js';

/** Days before expiry from which the audit warns when no plan says (the spec's tls.expiryWarningDays default). */
export const EXPIRY_WARNING_DAYS = 30;

/**
 * The server certificate expires within the newest TLS plan's tls.expiryWarningDays (else
 * EXPIRY_WARNING_DAYS) days, or has expired.
 */
export const check: AuditCheck = {
  id: 'tls-cert-expiring',
  title: 'the server certificate expires soon',
  run(s) {
    const c = s.certificate;
    const warnDays = s.consumerTls?.expiryWarningDays ?? EXPIRY_WARNING_DAYS;
    if (!c || 'error' in c || c.daysLeft >= warnDays) return [];
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
          text: 'Issue a new certificate from the same CA before it expires and reload, with live consumers: pgharden plan --spec harden.yaml --renew-certificate --out plans/renew, then pgharden apply plans/renew (ssl_cert_file and ssl_key_file are re-read at reload; no restart).',
        },
        cis: 'Ensure SSL is enabled and configured correctly',
      },
    ];
  },
};
