/**
 * The spec's `tls` section: whether the server requires TLS and how consumers verify it
 * (`require`: encrypted; `verify-full`: encrypted to a server whose certificate chains to the CA
 * and names the host the consumer dials), the lowest protocol the server accepts, and where the
 * server's certificate comes from (`generate`: a CA and a server certificate made by openssl in
 * the plan directory; or the operator's own PEM files).
 */
import { z } from 'zod';

const pemFile = z.string().min(1);

export const TlsSchema = z
  .strictObject({
    mode: z.enum(['off', 'require', 'verify-full']).default('off'),
    minProtocol: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
    certificate: z
      .union([z.literal('generate'), z.strictObject({ cert: pemFile, key: pemFile, ca: pemFile })], {
        error:
          'must be "generate" or { cert: FILE, key: FILE, ca: FILE } (PEM files: the server\'s certificate, its key, and the CA consumers verify it with)',
      })
      .default('generate'),
    /** Days a generated server certificate is valid. */
    days: z.number().int().min(2).max(3650).default(397),
    /** The audit's tls-cert-expiring fires when fewer days than this are left. */
    expiryWarningDays: z.number().int().min(1).max(3650).default(30),
  })
  .default({ mode: 'off', minProtocol: 'TLSv1.2', certificate: 'generate', days: 397, expiryWarningDays: 30 });

/** The validated `tls` section. */
export type TlsSpec = z.infer<typeof TlsSchema>;
