/**
 * The consumers' connection strings as the audit judges their TLS: the consumer files the plans
 * under a directory name (plan.json's `consumers`), and the libpq parameters each one's string
 * sets there, with the file and line it is on.
 */

/** One consumer's connection string, as its file holds it now. */
export interface ConsumerDsn {
  name: string;
  path: string;
  /** The line its connection string (or service section) starts on. */
  line: number;
  /** The values it sets; null: not set (libpq's default: sslmode prefer, channel_binding prefer). */
  sslmode: string | null;
  sslrootcert: string | null;
  channelBinding: string | null;
}

/** The facts the tls-consumer-unverified check judges. */
export interface ConsumerTlsFacts {
  /** Where the consumer list came from, for the evidence. */
  source: string;
  /** The plan directory whose plan asks for TLS (a TLS plan, or a hardening plan with the spec's tls); null: none. */
  requestedBy: string | null;
  consumers: ConsumerDsn[];
  /** The newest TLS-carrying plan's tls.expiryWarningDays (a renewal's included); null: no plan says. */
  expiryWarningDays?: number | null;
}
