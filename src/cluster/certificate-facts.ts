/**
 * The server certificate the audit judges: read from ssl_cert_file (relative to the data
 * directory, as the server reads it) when ssl is on; its expiry and the days left, counted here at
 * the I/O edge so the audit's checks stay pure.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

export type CertificateFacts =
  | { path: string; notAfter: string; daysLeft: number; sha256: string }
  | { path: string; error: string };

/** The certificate's facts, or why they could not be read; undefined when ssl is off or no file is set. */
export function certificateFacts(
  settings: Record<string, string | null>,
  now: Date = new Date(),
): CertificateFacts | undefined {
  const file = settings.ssl_cert_file;
  if (settings.ssl !== 'on' || !file) return undefined;
  const path = isAbsolute(file) || !settings.data_directory ? file : join(settings.data_directory, file);
  try {
    const x = new X509Certificate(readFileSync(path));
    const notAfter = new Date(x.validTo);
    return {
      path,
      notAfter: notAfter.toISOString(),
      daysLeft: (notAfter.getTime() - now.getTime()) / 86_400_000,
      sha256: x.fingerprint256.replaceAll(':', '').toLowerCase(),
    };
  } catch (err) {
    return { path, error: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
}
