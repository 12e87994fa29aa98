/**
 * Is the server already at the spec's TLS state? Then `plan --tls` has nothing to do (exit 0, no
 * plan directory, no new CA). Each difference is named: ssl off, another minimum protocol, a
 * pg_hba.conf rule that admits without TLS, a consumer whose string lacks the parameters or its
 * CA copy, or a certificate in force that does not cover the names, has expired, or that the
 * consumers' CA (verify-full) or the spec's own certificate file does not match.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { HbaLine } from '../conf/hba-types.js';
import type { TlsSpec } from '../spec/tls-spec.js';
import { requireTls } from './tls-hba.js';
import type { TlsConsumer } from './tls-input.js';

export interface LiveTls {
  ssl: string;
  minProtocol: string;
  /** ssl_cert_file, resolved against the data directory. */
  certFile: string;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** What differs from the spec's TLS state; empty when nothing does. */
export function tlsDifferences(o: {
  tls: TlsSpec;
  live: LiveTls;
  hba: HbaLine[];
  trustedRanges: string[];
  consumers: TlsConsumer[];
  names: string[];
  /** The spec's own certificate file, resolved (certificate: { cert, key, ca }). */
  ownCert: string | null;
  now: Date;
}): string[] {
  const out: string[] = [];
  if (o.live.ssl !== 'on') out.push('ssl is off');
  if (o.live.minProtocol !== o.tls.minProtocol)
    out.push(`ssl_min_protocol_version is ${o.live.minProtocol}, not ${o.tls.minProtocol}`);
  if (requireTls(o.hba, o.trustedRanges).changed > 0) out.push('pg_hba.conf admits connections without TLS');
  for (const c of o.consumers) {
    if (c.movedSha256 !== c.binding.sha256) out.push(`consumer "${c.name}" lacks ${Object.keys(c.params).join(', ')}`);
    if (c.ca && c.ca.sha256 === null) out.push(`consumer "${c.name}" has no CA copy at ${c.ca.path}`);
  }
  if (out.length) return out;
  if (!existsSync(o.live.certFile)) return [`the certificate ${o.live.certFile} is missing`];
  const bytes = readFileSync(o.live.certFile);
  const cert = new X509Certificate(bytes);
  if (new Date(cert.validTo) <= o.now) out.push(`the certificate ${o.live.certFile} has expired`);
  const covered = (cert.subjectAltName ?? '').split(', ').map((n) => n.replace(/^(DNS|IP Address):/, ''));
  const missing = o.names.filter((n) => !covered.includes(n));
  if (missing.length) out.push(`the certificate does not name ${missing.join(', ')}`);
  if (o.ownCert && sha256(readFileSync(o.ownCert)) !== sha256(bytes))
    out.push(`the certificate in force is not ${o.ownCert}`);
  for (const c of o.consumers) {
    if (!c.ca) continue;
    const ca = new X509Certificate(readFileSync(c.ca.path));
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey))
      out.push(`consumer "${c.name}"'s CA (${c.ca.path}) did not issue the certificate in force`);
  }
  return out;
}
