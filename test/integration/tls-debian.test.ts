/**
 * The TLS plan on a Debian-packaged cluster configured as pg_createcluster does when the snakeoil
 * pair exists: `ssl = on` with ssl_cert_file/ssl_key_file naming it in postgresql.conf. (This
 * machine has no /etc/ssl snakeoil pair, and making one would change every other cluster created
 * here, so a self-signed pair of the same shape is made in a scratch directory: certificate 0644
 * root, key 0640 root:ssl-cert.) The plan's ALTER SYSTEM must win over postgresql.conf at a
 * reload, with no restart (the postmaster's start time is unchanged); the handshake then shows
 * the plan's certificate; rollback brings the snakeoil-like pair back in force.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckContext } from '../../src/execute/run-checks.js';
import { tlsHandshake } from '../../src/execute/tls-checks.js';
import { certificateFacts } from '../../src/plan/tls-certificate.js';
import { CLI } from '../support/cli.js';
import { createDebianCluster, debianUnavailable, type DebianCluster } from '../support/debian.js';
import { consumerLoop } from '../support/tls-story.js';

const why = debianUnavailable();
if (why) console.log(`tls-debian.test.ts skipped: ${why}`);

function sudoPgharden(args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: '/root', NO_COLOR: '1', ...env },
    timeout: 600_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(why !== undefined)('the TLS plan on a Debian cluster with the snakeoil-style pair', () => {
  let cluster: DebianCluster;
  let work: string;
  let snakeoil: { cert: string; key: string; sha256: string };
  let started: string;
  let consumer: string;
  /** Settings waiting for a restart before the TLS plan (the story's listen_addresses = '*'). */
  let pending: string;
  const pendingRestart = () =>
    cluster
      .psql("SELECT coalesce(string_agg(name, ',' ORDER BY name), '') FROM pg_settings WHERE pending_restart")
      .trim();
  const env = () => ({ PGCLUSTER: cluster.id });
  const presented = () =>
    tlsHandshake({ check: 'tls-handshake', from: { address: '127.10.0.7', range: '127.10.0.0/16' }, sha256: '' }, {
      host: '127.0.0.1',
      port: cluster.port,
    } as CheckContext);

  beforeAll(async () => {
    cluster = await createDebianCluster();
    work = mkdtempSync(join(tmpdir(), 'pgharden-tls-debian-'));
    chmodSync(work, 0o755);
    const cert = join(work, 'ssl-cert-snakeoil.pem');
    const key = join(work, 'ssl-cert-snakeoil.key');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '30',
        '-subj',
        '/CN=debian-host',
      ],
      { stdio: 'pipe' },
    );
    chmodSync(cert, 0o644);
    chownSync(key, 0, Number(execFileSync('getent', ['group', 'ssl-cert'], { encoding: 'utf8' }).split(':')[2]));
    chmodSync(key, 0o640);
    snakeoil = { cert, key, sha256: certificateFacts(readFileSync(cert)).sha256 };
    const conf = join(cluster.configDir, 'postgresql.conf');
    writeFileSync(
      conf,
      `${readFileSync(conf, 'utf8')}\nssl = on\nssl_cert_file = '${cert}'\nssl_key_file = '${key}'\n`,
    );
    execFileSync('pg_ctlcluster', ['15', cluster.name, 'restart'], { stdio: 'pipe' });
    consumer = join(work, 'agents.env');
    writeFileSync(consumer, `# agents\nDATABASE_URL=postgres://postgres@127.0.0.1:${cluster.port}/workspace\n`, {
      mode: 0o640,
    });
    const spec = [
      'network: { trustedRanges: [127.10.0.0/16] }',
      'roles:',
      '  - { name: agents_app, template: app-readwrite, databases: [workspace], readOnlyTables: [agents_kill_switch] }',
      'consumers:',
      '  - { name: agents, file: agents.env, key: DATABASE_URL, role: agents_app }',
    ];
    // Hardened first without a tls section (with one, the hardening plan would carry TLS itself,
    // tls-harden.test.ts); the section is added after, as a DBA enabling TLS on day two does.
    writeFileSync(join(work, 'harden.yaml'), `${spec.join('\n')}\n`);
    const plan = sudoPgharden(['plan', '--spec', 'harden.yaml', '--out', 'plans/deb'], work, env());
    if (plan.code !== 0) throw new Error(`the hardening plan failed: ${plan.stderr}`);
    const applied = sudoPgharden(['apply', 'plans/deb', '--yes'], work);
    if (applied.code !== 0) throw new Error(`the hardening apply failed: ${applied.stderr}`);
    writeFileSync(
      join(work, 'harden.yaml'),
      `${[...spec, 'tls: { mode: verify-full, minProtocol: TLSv1.2, certificate: generate }'].join('\n')}\n`,
    );
    started = cluster.psql('SELECT pg_postmaster_start_time()').trim();
    pending = pendingRestart();
  });

  afterAll(() => {
    cluster?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('starts from the snakeoil-style pair named in postgresql.conf', async () => {
    expect(
      cluster.psql("SELECT sourcefile FROM pg_file_settings WHERE name = 'ssl_cert_file' AND applied").trim(),
    ).toBe(join(cluster.configDir, 'postgresql.conf'));
    expect(await presented()).toBe(snakeoil.sha256);
  });

  it("applies by reload alone: postgresql.auto.conf wins, the plan's certificate in force", async () => {
    const made = sudoPgharden(['plan', '--spec', 'harden.yaml', '--tls', '--out', 'plans/tls'], work, env());
    expect(made.code).toBe(0);
    const sha256 = (JSON.parse(readFileSync(join(work, 'plans/tls/plan.json'), 'utf8')) as { tls: { sha256: string } })
      .tls.sha256;
    const loop = consumerLoop(consumer, 'DATABASE_URL');
    await new Promise((r) => setTimeout(r, 1000));
    const r = sudoPgharden(['apply', 'plans/tls', '--yes'], work);
    await new Promise((res) => setTimeout(res, 1000));
    await loop.stop();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(loop.failures).toEqual([]);
    expect(loop.ssl.at(-1)).toBe('t');
    expect(await presented()).toBe(sha256);
    expect(cluster.psql('SHOW ssl_cert_file').trim()).toBe(join(cluster.configDir, 'pgharden-server.crt'));
    expect(
      cluster.psql("SELECT sourcefile FROM pg_file_settings WHERE name = 'ssl_cert_file' AND applied").trim(),
    ).toBe(join(cluster.dataDir, 'postgresql.auto.conf'));
    // No restart: the same postmaster, and nothing waits for one.
    expect(cluster.psql('SELECT pg_postmaster_start_time()').trim()).toBe(started);
    expect(pendingRestart()).toBe(pending);
    expect(pending).not.toContain('ssl');
  });

  it('says Nothing to do for a second plan --tls', () => {
    const r = sudoPgharden(['plan', '--spec', 'harden.yaml', '--tls', '--out', 'plans/tls-again'], work, env());
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Nothing to do');
  });

  it('rolls back to the snakeoil-style pair, by reload', async () => {
    const r = sudoPgharden(['rollback', 'plans/tls'], work);
    expect(r.code).toBe(0);
    expect(await presented()).toBe(snakeoil.sha256);
    expect(cluster.psql('SHOW ssl_cert_file').trim()).toBe(snakeoil.cert);
    expect(cluster.psql('SELECT pg_postmaster_start_time()').trim()).toBe(started);
  });

  it('refuses to renew from the CA of a rolled-back plan while the snakeoil-style pair is in force', () => {
    // Rolled back: not an applied TLS plan any more.
    const found = sudoPgharden(
      ['plan', '--spec', 'harden.yaml', '--renew-certificate', '--out', 'plans/renew'],
      work,
      env(),
    );
    expect(found.code).toBe(2);
    expect(found.stderr).toContain('no applied TLS plan');
    // Named with --from: its CA did not issue the certificate in force, which consumers may verify.
    const named = sudoPgharden(
      ['plan', '--spec', 'harden.yaml', '--renew-certificate', '--from', 'plans/tls', '--out', 'plans/renew'],
      work,
      env(),
    );
    expect(named.code).toBe(3);
    expect(named.stderr).toContain('was not issued by the CA');
  });
});
