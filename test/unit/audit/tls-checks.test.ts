import { describe, expect, it } from 'vitest';
import { runAudit } from '../../../src/audit/run-audit.js';
import type { Snapshot } from '../../../src/cluster/introspect.js';
import { role, snapshot } from '../../support/snapshot.js';

const HBA = 'local all postgres peer\nhostssl all all 10.8.0.0/24 scram-sha-256\n';
const ids = (s: Snapshot) => runAudit(s).map((f) => f.id);
const base = () => snapshot(HBA, [role('postgres', { superuser: true }), role('app')]);
const finding = (s: Snapshot, id: string) => runAudit(s).find((f) => f.id === id);

describe('tls-min-protocol-weak', () => {
  it.each(['TLSv1', 'TLSv1.1', ''])('fires for ssl_min_protocol_version %j with ssl on', (v) => {
    const s = base();
    s.settings.ssl_min_protocol_version = v;
    expect(finding(s, 'tls-min-protocol-weak')?.evidence).toEqual([`ssl_min_protocol_version = '${v}'`]);
  });
  it.each(['TLSv1.2', 'TLSv1.3'])('is quiet for %s', (v) => {
    const s = base();
    s.settings.ssl_min_protocol_version = v;
    expect(ids(s)).not.toContain('tls-min-protocol-weak');
  });
  it('is quiet with ssl off (ssl-off-network speaks then)', () => {
    const s = base();
    s.settings.ssl = 'off';
    s.settings.ssl_min_protocol_version = 'TLSv1';
    expect(ids(s)).not.toContain('tls-min-protocol-weak');
  });
});

describe('tls-cert-expiring', () => {
  const cert = (daysLeft: number) => ({
    path: '/pg/server.crt',
    notAfter: '2027-01-01T00:00:00.000Z',
    daysLeft,
    sha256: 'ab',
  });
  it('warns (medium) with 29 days left', () => {
    const s = { ...base(), certificate: cert(29.5) };
    const f = finding(s, 'tls-cert-expiring');
    expect(f?.severity).toBe('medium');
    expect(f?.evidence[0]).toContain('29 days left');
  });
  it('is high once expired', () => {
    const f = finding({ ...base(), certificate: cert(-2.5) }, 'tls-cert-expiring');
    expect(f?.severity).toBe('high');
    expect(f?.evidence[0]).toContain('expired 3 days ago');
  });
  it('is quiet with 30 days or more left, and when the certificate could not be read', () => {
    expect(ids({ ...base(), certificate: cert(30) })).not.toContain('tls-cert-expiring');
    expect(ids({ ...base(), certificate: { path: '/pg/server.crt', error: 'EACCES' } })).not.toContain(
      'tls-cert-expiring',
    );
  });
});

describe('tls-key-owner', () => {
  const withKey = (uid: number) => ({
    ...base(),
    serverUid: 999,
    files: [{ role: 'ssl_key_file' as const, path: '/pg/server.key', mode: 0o600, uid }],
  });
  it('fires for a key owned by another OS user', () => {
    expect(finding(withKey(1000), 'tls-key-owner')?.evidence).toEqual([
      'ssl_key_file /pg/server.key: owned by uid 1000; the server runs as uid 999',
    ]);
  });
  it.each([999, 0])('is quiet for a key owned by uid %i (the server, or root)', (uid) => {
    expect(ids(withKey(uid))).not.toContain('tls-key-owner');
  });
});

describe('tls-sessions-plain', () => {
  const client = (clientAddress: string | null, ssl: boolean) => ({
    user: 'app',
    application: 'agents',
    clientAddress,
    database: 'shop',
    ssl,
    sessions: 2,
  });
  it('fires (medium) for plain sessions from another address', () => {
    const f = finding(
      { ...base(), clients: [client('10.8.0.7', false), client('10.8.0.8', true)] },
      'tls-sessions-plain',
    );
    expect(f?.severity).toBe('medium');
    expect(f?.evidence).toEqual(['2 sessions of app (agents) from 10.8.0.7 to shop: pg_stat_ssl.ssl = false']);
  });
  it('is quiet for plain sessions from this host itself (127.0.0.1, ::1)', () => {
    expect(ids({ ...base(), clients: [client('127.0.0.1', false), client('::1', false)] })).not.toContain(
      'tls-sessions-plain',
    );
  });
  it('is quiet with ssl off (ssl-off-network speaks then)', () => {
    const s = { ...base(), clients: [client('10.8.0.7', false)] };
    s.settings.ssl = 'off';
    expect(ids(s)).not.toContain('tls-sessions-plain');
  });
  it('is quiet for TLS sessions and the local socket', () => {
    expect(ids({ ...base(), clients: [client('10.8.0.7', true), client(null, false)] })).not.toContain(
      'tls-sessions-plain',
    );
  });
});
