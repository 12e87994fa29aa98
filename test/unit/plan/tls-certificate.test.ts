import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCertificates, subjectAltName, TLS_FILES } from '../../../src/plan/tls-certificate.js';

describe('generateCertificates (openssl)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgharden-tls-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('signs a server certificate for every name with a new CA; keys 0600; the rogue is not the CA’s', async () => {
    const facts = await generateCertificates(dir, { names: ['127.0.0.1', 'db.internal'], days: 30, label: 'test' });
    const ca = new X509Certificate(readFileSync(join(dir, TLS_FILES.caCert)));
    const server = new X509Certificate(readFileSync(join(dir, TLS_FILES.serverCert)));
    const rogue = new X509Certificate(readFileSync(join(dir, TLS_FILES.rogueCert)));
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(rogue.verify(ca.publicKey)).toBe(false);
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('db.internal')).toBe('db.internal');
    expect(server.checkHost('other.internal')).toBeUndefined();
    expect(rogue.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(facts.names).toEqual(['127.0.0.1', 'db.internal']);
    expect(facts.sha256).toBe(server.fingerprint256.replaceAll(':', '').toLowerCase());
    const days = (Date.parse(facts.notAfter) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThan(31);
    for (const f of [TLS_FILES.caKey, TLS_FILES.serverKey, TLS_FILES.rogueKey])
      expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'tls')).mode & 0o777).toBe(0o700);
  });

  it('writes IP: for addresses and DNS: for names', () => {
    expect(subjectAltName(['10.8.0.1', '::1', 'db'])).toBe('IP:10.8.0.1,IP:::1,DNS:db');
  });
});
