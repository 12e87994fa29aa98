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
  it("warns from the newest TLS plan's tls.expiryWarningDays when one says", () => {
    const said = (days: number) => ({ source: 'plans', requestedBy: null, consumers: [], expiryWarningDays: days });
    expect(ids({ ...base(), certificate: cert(45), consumerTls: said(60) })).toContain('tls-cert-expiring');
    expect(ids({ ...base(), certificate: cert(20), consumerTls: said(10) })).not.toContain('tls-cert-expiring');
    expect(
      finding({ ...base(), certificate: cert(5), consumerTls: said(10) }, 'tls-cert-expiring')?.fix.text,
    ).toContain('pgharden plan --spec harden.yaml --renew-certificate');
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

describe('tls-consumer-unverified', () => {
  const dsn = (name: string, line: number, sslmode: string | null, channelBinding: string | null) => ({
    name,
    path: `/srv/${name}/.env`,
    line,
    sslmode,
    sslrootcert: sslmode === 'verify-full' ? `/srv/${name}/ca.crt` : null,
    channelBinding,
  });
  const facts = (consumers: ReturnType<typeof dsn>[], requestedBy: string | null = null) => ({
    source: 'the consumers of the plans under plans',
    requestedBy,
    consumers,
  });
  it('names each consumer file and line whose string lacks verify-full or channel_binding=require, with TLS required', () => {
    const s = {
      ...base(),
      consumerTls: facts([
        dsn('agents', 2, null, null),
        dsn('reports', 5, 'require', 'require'),
        dsn('batch', 1, 'verify-full', 'prefer'),
        dsn('worker', 3, 'verify-full', 'require'),
      ]),
    };
    const f = finding(s, 'tls-consumer-unverified');
    expect(f?.severity).toBe('medium');
    expect(f?.evidence).toEqual([
      '/srv/agents/.env:2: consumer "agents": no sslmode (libpq: prefer), not verify-full; no channel_binding=require',
      '/srv/reports/.env:5: consumer "reports": sslmode=require, not verify-full',
      '/srv/batch/.env:1: consumer "batch": channel_binding=prefer, not require',
    ]);
    expect(f?.why).toMatch(/^The server requires TLS/);
  });
  it('asks for channel_binding=require only where scram-sha-256 is in use', () => {
    const s = snapshot('local all postgres peer\nhostssl all all 10.8.0.0/24 md5\n', [
      role('postgres', { superuser: true }),
    ]);
    s.settings.password_encryption = 'md5';
    s.consumerTls = facts([dsn('agents', 2, 'verify-full', null)]);
    expect(ids(s)).not.toContain('tls-consumer-unverified');
    s.consumerTls = facts([dsn('agents', 2, 'require', null)]);
    expect(finding(s, 'tls-consumer-unverified')?.evidence).toEqual([
      '/srv/agents/.env:2: consumer "agents": sslmode=require, not verify-full',
    ]);
  });
  it('is quiet while the server does not require TLS and no plan asks for it', () => {
    const plain = snapshot('local all postgres peer\nhost all all 10.8.0.0/24 scram-sha-256\n', [
      role('postgres', { superuser: true }),
    ]);
    plain.consumerTls = facts([dsn('agents', 2, null, null)]);
    expect(ids(plain)).not.toContain('tls-consumer-unverified');
    const off = { ...base(), consumerTls: facts([dsn('agents', 2, null, null)]) };
    off.settings.ssl = 'off';
    expect(ids(off)).not.toContain('tls-consumer-unverified');
  });
  it('fires when a plan asks for TLS, before the server requires it', () => {
    const s = { ...base(), consumerTls: facts([dsn('agents', 2, 'prefer', null)], 'plans/office-tls') };
    s.settings.ssl = 'off';
    const f = finding(s, 'tls-consumer-unverified');
    expect(f?.why).toMatch(/^The plan plans\/office-tls asks for TLS/);
    expect(f?.evidence).toEqual([
      '/srv/agents/.env:2: consumer "agents": sslmode=prefer, not verify-full; no channel_binding=require',
    ]);
  });
  it('is quiet without consumers (no plan names one)', () => {
    expect(ids({ ...base(), consumerTls: facts([]) })).not.toContain('tls-consumer-unverified');
    expect(ids(base())).not.toContain('tls-consumer-unverified');
  });
});
