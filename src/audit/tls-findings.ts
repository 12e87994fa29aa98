/**
 * The audit findings a TLS plan resolves: with any of them and the spec's tls off, `plan` and the
 * guide propose `tls: { mode: verify-full }`. Ids only, so the guide can name them without loading
 * every check.
 */
export const TLS_FINDING_IDS: readonly string[] = [
  'ssl-off-network',
  'hba-ssl-not-required',
  'tls-sessions-plain',
  'tls-consumer-unverified',
];
