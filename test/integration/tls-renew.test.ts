/**
 * `plan --renew-certificate` on the story after the TLS plan: a new server certificate from the
 * same CA, installed by reload while the four consumers reconnect every 150 ms with verify-full
 * against that CA: zero failed connections, the new fingerprint presented by the server, the CA
 * key neither copied nor printed; rollback puts the old certificate back in force.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tlsHandshake } from '../../src/execute/tls-checks.js';
import type { CheckContext } from '../../src/execute/run-checks.js';
import { VPN_DEVICE, VPN_RANGE } from '../../src/scratch/story.js';
import { testedInstalls } from '../support/cluster.js';
import { pgharden, pghardenAsync } from '../support/cli.js';
import { fileIdentity } from '../support/story-plan.js';
import { dsnOf, storyLoops, tlsStory, type TlsStory } from '../support/tls-story.js';

/** The sha256 of the certificate the server presents to a TLS handshake from the VPN. */
const presented = (s: TlsStory) =>
  tlsHandshake({ check: 'tls-handshake', from: { address: VPN_DEVICE, range: VPN_RANGE }, sha256: '' }, {
    host: '127.0.0.1',
    port: s.cluster.port,
  } as CheckContext);

describe.each(testedInstalls())('certificate renewal on PostgreSQL $major', (install) => {
  let s: TlsStory;
  let tlsDir: string;
  let renewDir: string;
  let first: string;
  let renewed: string;
  let installed: Record<string, string>;
  const certFiles = () => [
    join(s.cluster.dataDir, 'pgharden-server.crt'),
    join(s.cluster.dataDir, 'pgharden-server.key'),
  ];
  beforeAll(async () => {
    s = await tlsStory(install);
    tlsDir = join(s.dir, 'plans', 'tls');
    renewDir = join(s.dir, 'plans', 'renew');
    const made = pgharden(['plan', '--spec', s.spec, '--tls', '--out', tlsDir, '--json', '--dsn', dsnOf(s)]);
    if (made.code !== 0) throw new Error(`plan --tls failed: ${made.stderr}`);
    const applied = pgharden(['apply', tlsDir, '--yes']);
    if (applied.code !== 0) throw new Error(`the TLS plan failed: ${applied.stderr}`);
    first = (JSON.parse(readFileSync(join(tlsDir, 'plan.json'), 'utf8')) as { tls: { sha256: string } }).tls.sha256;
  });
  afterAll(async () => s?.cleanup());

  it('says "Nothing to do" for a second plan --tls, and writes no plan directory', () => {
    const again = join(s.dir, 'plans', 'tls-again');
    const r = pgharden(['plan', '--spec', s.spec, '--tls', '--out', again, '--json', '--dsn', dsnOf(s)]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Nothing to do');
    expect(JSON.parse(r.stdout)).toMatchObject({ schemaVersion: 1, nothingToDo: true });
    expect(existsSync(again)).toBe(false);
  });

  it('refuses to renew without an applied TLS plan to take the CA from', () => {
    const elsewhere = join(s.dir, 'elsewhere', 'renew');
    const r = pgharden(['plan', '--spec', s.spec, '--renew-certificate', '--out', elsewhere, '--dsn', dsnOf(s)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no applied TLS plan');
    expect(existsSync(elsewhere)).toBe(false);
  });

  it("plans a certificate from the applied TLS plan's CA, found under the plans directory", async () => {
    expect(await presented(s)).toBe(first);
    installed = fileIdentity(certFiles());
    const r = pgharden(['plan', '--spec', s.spec, '--renew-certificate', '--out', renewDir, '--dsn', dsnOf(s)]);
    expect(r.stderr).not.toContain('Error');
    expect(r.code).toBe(0);
    const plan = JSON.parse(readFileSync(join(renewDir, 'plan.json'), 'utf8')) as {
      purpose: string;
      tls: { sha256: string; names: string[]; renews: { plan: string; sha256: string } };
      steps: { id: string }[];
    };
    expect(plan.purpose).toBe('tls');
    expect(plan.tls.renews).toEqual({ plan: tlsDir, sha256: first });
    expect(plan.tls.names).toEqual(['127.0.0.1']);
    renewed = plan.tls.sha256;
    expect(renewed).not.toBe(first);
    expect(plan.steps.map((x) => x.id)).toEqual([
      'preflight/lock',
      'preflight/backup',
      'preflight/admin-path',
      'server-tls/certificate',
      'server-tls/key',
      'server-tls/reload',
      'verify/tls',
    ]);
    // Signed where the CA's key is: not copied into the new plan, never printed.
    expect(existsSync(join(renewDir, 'tls', 'ca.key'))).toBe(false);
    const caKey = readFileSync(join(tlsDir, 'tls', 'ca.key'), 'utf8');
    const body = caKey.split('\n').filter((l) => l && !l.startsWith('-----'))[0]!;
    expect(`${r.stdout}${r.stderr}`.includes(body)).toBe(false);
    expect(`${r.stdout}${r.stderr}`).not.toContain('PRIVATE KEY');
    // The server is untouched until apply.
    expect(fileIdentity(certFiles())).toEqual(installed);
  });

  it('applies with zero failed connections and the new fingerprint in force', async () => {
    const loops = storyLoops(s);
    await new Promise((r) => setTimeout(r, 1000));
    const r = await pghardenAsync(['apply', renewDir, '--yes']);
    await new Promise((res) => setTimeout(res, 1000));
    for (const l of loops) await l.stop();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const l of loops) {
      expect(l.failures).toEqual([]);
      expect(l.attempts).toBeGreaterThan(5);
      expect(l.ssl.every((x) => x === 't')).toBe(true);
    }
    expect(await presented(s)).toBe(renewed);
    const report = JSON.parse(readFileSync(join(renewDir, 'report.json'), 'utf8')) as {
      steps: { results: { description: string; outcome: string }[] }[];
    };
    const results = report.steps.flatMap((x) => x.results);
    expect(results.filter((x) => x.outcome !== 'pass')).toEqual([]);
    expect(results.filter((x) => x.description.includes('logs in over TLS through libpq'))).toHaveLength(4);
  });

  it('rolls back to the old certificate and key, in force after a reload', async () => {
    const r = pgharden(['rollback', renewDir]);
    expect(r.code).toBe(0);
    expect(fileIdentity(certFiles())).toEqual(installed);
    expect(await presented(s)).toBe(first);
  });
});
