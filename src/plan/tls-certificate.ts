/**
 * The certificates of a TLS plan, made with openssl in the plan directory's `tls/`: a small CA
 * (its key stays there, 0600, for renewals and the record), a server certificate signed by it
 * whose subjectAltName lists every host name and address consumers dial, and a "rogue"
 * certificate for the same names from no CA at all, which the negative test presents to prove a
 * consumer's verify-full refuses an impostor.
 */
import { X509Certificate, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { InputError } from '../core/errors.js';
import { CommandError, run } from '../process/run.js';

/** Plan-relative paths of what generate makes. */
export const TLS_FILES = {
  caCert: 'tls/ca.crt',
  caKey: 'tls/ca.key',
  serverCert: 'tls/server.crt',
  serverKey: 'tls/server.key',
  rogueCert: 'tls/rogue.crt',
  rogueKey: 'tls/rogue.key',
} as const;

/** What a certificate is, as the plan records it. */
export interface CertificateFacts {
  /** sha256 of the DER, lower-case hex without colons. */
  sha256: string;
  notAfter: string;
  names: string[];
}

/** A certificate's fingerprint, expiry and subjectAltName entries. */
export function certificateFacts(pem: string | Buffer): CertificateFacts {
  const x = new X509Certificate(pem);
  return {
    sha256: x.fingerprint256.replaceAll(':', '').toLowerCase(),
    notAfter: new Date(x.validTo).toISOString(),
    names: (x.subjectAltName ?? '')
      .split(', ')
      .filter(Boolean)
      .map((n) => n.replace(/^(DNS|IP Address):/, '')),
  };
}

/** subjectAltName for these names: IP: for addresses, DNS: for host names. */
export function subjectAltName(names: readonly string[]): string {
  return names.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
}

async function openssl(args: string[], what: string): Promise<void> {
  try {
    await run('openssl', args, { timeoutMs: 120_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } });
  } catch (err) {
    if (err instanceof CommandError || (err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new InputError(
        `openssl could not ${what}: ${(err as Error).message}`,
        'install openssl (apt-get install openssl), or give tls.certificate as { cert, key, ca } files in the spec',
      );
    throw err;
  }
}

const serial = () => `0x${randomBytes(16).toString('hex')}`;
const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * A server certificate for `names`, signed by the CA in `dir` (made here too unless `keepCa`),
 * or by the CA at `ca` (a renewal: that CA's key is read where it is, never copied).
 */
export async function generateCertificates(
  planDir: string,
  o: { names: string[]; days: number; label: string; keepCa?: boolean; ca?: { cert: string; key: string } },
): Promise<CertificateFacts> {
  if (!o.names.length) throw new InputError('no host name or address to put in the certificate', 'name the consumers');
  const p = (f: string) => join(planDir, f);
  mkdirSync(p('tls'), { recursive: true, mode: 0o700 });
  chmodSync(p('tls'), 0o700);
  const days = String(o.days);
  const san = subjectAltName(o.names);
  if (!o.keepCa && !o.ca)
    await openssl(
      ['req', '-x509', ...ec, '-keyout', p(TLS_FILES.caKey), '-out', p(TLS_FILES.caCert), '-days', String(o.days + 365)]
        .concat([
          '-subj',
          `/CN=${`pgharden CA ${o.label}`.replace(/[/=+,\\]/g, '-').slice(0, 64)}`,
          '-set_serial',
          serial(),
        ])
        .concat(['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']),
      'make the CA',
    );
  const csr = p('tls/server.csr');
  const ext = p('tls/server.ext');
  writeFileSync(
    ext,
    `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`,
    { mode: 0o600 },
  );
  await openssl(
    ['req', '-new', ...ec, '-keyout', p(TLS_FILES.serverKey), '-out', csr, '-subj', `/CN=${o.names[0]}`],
    'make the server key',
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      o.ca?.cert ?? p(TLS_FILES.caCert),
      '-CAkey',
      o.ca?.key ?? p(TLS_FILES.caKey),
      '-set_serial',
      serial(),
    ].concat(['-days', days, '-extfile', ext, '-out', p(TLS_FILES.serverCert)]),
    'sign the server certificate',
  );
  await makeRogue(planDir, o.names, o.days);
  for (const f of o.ca ? [TLS_FILES.serverKey] : [TLS_FILES.caKey, TLS_FILES.serverKey]) chmodSync(p(f), 0o600);
  for (const f of o.ca ? [TLS_FILES.serverCert] : [TLS_FILES.caCert, TLS_FILES.serverCert]) chmodSync(p(f), 0o644);
  return certificateFacts(readFileSync(p(TLS_FILES.serverCert)));
}

/** The impostor: the same names, self-signed, so only the CA tells it apart. */
export async function makeRogue(planDir: string, names: string[], days: number): Promise<void> {
  const p = (f: string) => join(planDir, f);
  mkdirSync(p('tls'), { recursive: true, mode: 0o700 });
  const subject = ['-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${subjectAltName(names)}`];
  await openssl(
    ['req', '-x509', ...ec, '-keyout', p(TLS_FILES.rogueKey), '-out', p(TLS_FILES.rogueCert), '-days', String(days)]
      .concat(subject)
      .concat(['-set_serial', serial()]),
    'make the test certificate',
  );
  chmodSync(p(TLS_FILES.rogueKey), 0o600);
  chmodSync(p(TLS_FILES.rogueCert), 0o644);
}
