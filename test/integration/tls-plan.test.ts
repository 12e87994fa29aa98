/**
 * The TLS plan on the story after the auth flip, under load: consumer loops reconnect every
 * 150 ms through psql (libpq: sslmode, sslrootcert and channel_binding are libpq's to enforce)
 * with the connection string their file holds at that instant. Zero failed connections through
 * the whole TLS plan; afterwards every consumer session is encrypted (pg_stat_ssl), plain TCP
 * from a trusted range and from 127.0.0.5 is refused by the server, a consumer's string refuses
 * a listener presenting another certificate, and rollback puts every file back byte for byte.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { rogueListener } from '../../src/execute/tls-checks.js';
import { probe } from '../../src/hba/probe.js';
import { chooseSite } from '../../src/consumers/edit.js';
import { makeRogue } from '../../src/plan/tls-certificate.js';
import { withConsumerParams } from '../../src/consumers/tls-settings.js';
import { VPN_DEVICE } from '../../src/scratch/story.js';
import { testedInstalls } from '../support/cluster.js';
import { pgharden, pghardenAsync } from '../support/cli.js';
import { fileIdentity } from '../support/story-plan.js';
import { dsnOf, psql, storyLoops, tlsStory, type TlsStory } from '../support/tls-story.js';

const TLS_FINDINGS = [
  'ssl-off-network',
  'hba-ssl-not-required',
  'ssl-key-permissions',
  'tls-min-protocol-weak',
  'tls-cert-expiring',
  'tls-key-owner',
  'tls-sessions-plain',
];

describe.each(testedInstalls())('the TLS plan on PostgreSQL $major', (install) => {
  let s: TlsStory;
  let planDir: string;
  let before: Record<string, string>;
  let files: string[];
  let serviceFile: string;
  let password: string;
  let jsonFile: string;
  beforeAll(async () => {
    s = await tlsStory(install);
    ({ serviceFile, jsonFile, password } = s);
  });
  afterAll(async () => s?.cleanup());

  it('leaves no plan directory, nor a half-made CA, when openssl fails part way', () => {
    // An openssl that makes the CA, then fails: the CA's key must not stay behind in a half plan.
    const bin = mkdtempSync(join(tmpdir(), 'pgharden-openssl-'));
    const real = execFileSync('sh', ['-c', 'command -v openssl'], { encoding: 'utf8' }).trim();
    writeFileSync(
      join(bin, 'openssl'),
      `#!/bin/sh\nif [ -e "${bin}/called" ]; then echo 'openssl: out of entropy' >&2; exit 1; fi\ntouch "${bin}/called"\nexec ${real} "$@"\n`,
      { mode: 0o755 },
    );
    const out = join(s.dir, 'plans', 'tls-broken');
    const r = pgharden(['plan', '--spec', s.spec, '--tls', '--out', out, '--dsn', dsnOf(s)], {
      PATH: `${bin}:${process.env.PATH}`,
    });
    rmSync(bin, { recursive: true, force: true });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('openssl could not');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(join(s.dir, 'plans')).filter((e) => e.includes('tls-broken'))).toEqual([]);
  });

  it('makes a plan whose certificate covers how the consumers reach the server', () => {
    planDir = join(s.dir, 'plans', 'tls');
    const audited = JSON.parse(pgharden(['audit', '--json', '--dsn', dsnOf(s)]).stdout) as {
      findings: { id: string }[];
    };
    expect(audited.findings.map((f) => f.id)).toContain('ssl-off-network');
    const r = pgharden(['plan', '--spec', s.spec, '--tls', '--out', planDir, '--json', '--dsn', dsnOf(s)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const plan = JSON.parse(readFileSync(join(planDir, 'plan.json'), 'utf8')) as {
      purpose: string;
      tls: { names: string[] };
      steps: { id: string }[];
    };
    expect(plan.purpose).toBe('tls');
    // The review shows each consumer file's diff, its passwords redacted.
    expect(r.stdout).toContain('sslmode=verify-full');
    expect(r.stdout).toContain('<redacted>');
    expect(r.stdout.includes(password)).toBe(false);
    expect(readFileSync(join(planDir, 'plan.json'), 'utf8').includes(password)).toBe(false);
    expect(plan.tls.names).toEqual(['127.0.0.1']);
    expect(plan.steps.map((x) => x.id)).toEqual([
      'preflight/lock',
      'preflight/backup',
      'preflight/admin-path',
      'server-tls/certificate',
      'server-tls/key',
      'server-tls/settings',
      'server-tls/reload',
      'consumers/agents/ca',
      'consumers/agents/tls',
      'consumers/agents/drain',
      'consumers/weekly-report/tls',
      'consumers/weekly-report/drain',
      'consumers/batch/tls',
      'consumers/batch/drain',
      'consumers/worker/tls',
      'consumers/worker/drain',
      'hostssl/hba',
      'hostssl/reload',
      'verify/tls',
    ]);
    files = [
      s.cluster.hbaFile,
      join(s.cluster.dataDir, 'postgresql.auto.conf'),
      ...s.consumerFiles,
      serviceFile,
      jsonFile,
    ];
    before = fileIdentity(files);
  });

  it('applies with zero failed connections while the consumers reconnect every 150 ms', async () => {
    const loops = storyLoops(s);
    await new Promise((r) => setTimeout(r, 1000));
    const started = Date.now();
    const r = await pghardenAsync(['apply', planDir, '--yes']);
    const took = Date.now() - started;
    await new Promise((res) => setTimeout(res, 1000));
    for (const l of loops) await l.stop();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const l of loops) {
      expect(l.failures).toEqual([]);
      expect(l.attempts).toBeGreaterThan(10);
      // Plain before the move, encrypted after it, and never back.
      expect(l.ssl[0]).toBe('f');
      expect(l.ssl.at(-1)).toBe('t');
      expect(l.ssl.slice(l.ssl.indexOf('t'))).not.toContain('f');
    }
    // The plan's own negative tests, as the report records them.
    const report = JSON.parse(readFileSync(join(planDir, 'report.json'), 'utf8')) as {
      steps: {
        id: string;
        stage: string;
        ms: number;
        results: { description: string; outcome: string; got: string }[];
      }[];
    };
    const results = report.steps.flatMap((x) => x.results);
    expect(results.filter((x) => x.outcome !== 'pass')).toEqual([]);
    const described = results.map((x) => x.description);
    expect(described.filter((d) => d.includes('a listener with another certificate'))).toHaveLength(4);
    expect(described.filter((d) => d.includes('logs in over TLS through libpq'))).toHaveLength(8);
    expect(described.some((d) => d.startsWith('a TLS handshake from 127.10.0.1'))).toBe(true);
    const stages: Record<string, number> = {};
    for (const x of report.steps) stages[x.stage] = (stages[x.stage] ?? 0) + x.ms;
    console.log(`TLS plan apply on ${install.major}: ${took} ms in all; per stage (ms): ${JSON.stringify(stages)}`);
    expect(Object.keys(stages)).toEqual(['preflight', 'server-tls', 'consumers', 'hostssl', 'verify']);
  });

  it('leaves every consumer session encrypted and plain TCP refused by the server', async () => {
    const agents = chooseSite(s.consumerFiles[0]!, readFileSync(s.consumerFiles[0]!, 'utf8'), 'DATABASE_URL').text;
    expect(agents).toContain('sslmode=verify-full');
    expect(agents).toContain('channel_binding=require');
    expect(readFileSync(serviceFile, 'utf8')).toContain('sslmode=verify-full\n');
    expect(readFileSync(jsonFile, 'utf8')).toMatch(
      /"dsn": "host=127\.0\.0\.1 .* sslmode=verify-full sslrootcert=\S+ channel_binding=require"/,
    );
    // A session held open while the server is asked.
    let over = false;
    const held = psql(agents, 'SELECT pg_sleep(5)').finally(() => (over = true));
    let sessions: { usename: string; ssl: boolean }[] = [];
    // Asked until the session shows up (a TLS and SCRAM login takes its time on a busy machine).
    while (!over && sessions.length === 0) {
      await new Promise((r) => setTimeout(r, 100));
      sessions = await s.cluster.query<{ usename: string; ssl: boolean }>(
        "SELECT a.usename, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.usename IN ('agents_app', 'reporting')",
      );
    }
    await held;
    expect(sessions.length).toBeGreaterThan(0);
    expect(sessions.every((x) => x.ssl)).toBe(true);
    // From the trusted range: asked for a password before the plan, refused by hostnossl … reject now.
    expect(
      await probe({
        host: '127.0.0.1',
        port: s.cluster.port,
        localAddress: VPN_DEVICE,
        user: 'agents_app',
        database: 'workspace',
      }),
    ).toMatchObject({ kind: 'error', class: 'rejected' });
    // From 127.0.0.5, outside every rule: refused too.
    expect(
      await probe({
        host: '127.0.0.1',
        port: s.cluster.port,
        localAddress: '127.0.0.5',
        user: 'agents_app',
        database: 'workspace',
      }),
    ).toMatchObject({ kind: 'error' });
    expect(
      await probe({
        host: '127.0.0.1',
        port: s.cluster.port,
        localAddress: VPN_DEVICE,
        user: 'agents_app',
        database: 'workspace',
        ssl: true,
      }),
    ).toMatchObject({ kind: 'sasl' });
    // The audit has nothing left to say about TLS (ssl-off-network fired before the plan).
    const audit = pgharden(['audit', '--json', '--dsn', dsnOf(s)]);
    const found = (JSON.parse(audit.stdout) as { findings: { id: string }[] }).findings.map((f) => f.id);
    for (const id of TLS_FINDINGS) expect(found).not.toContain(id);
    // channel_binding=require holds: libpq logs in with SCRAM-SHA-256-PLUS, or not at all.
    expect((await psql(agents, 'SELECT 1')).out.trim()).toBe('1');
  });

  it("refuses, through a consumer's own connection string, a listener presenting another certificate", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgharden-rogue-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    await makeRogue(dir, ['127.0.0.1'], 2);
    const rogue = await rogueListener(
      '127.0.0.1',
      readFileSync(join(dir, 'tls/rogue.crt')),
      readFileSync(join(dir, 'tls/rogue.key')),
    );
    const port = rogue.port;
    const file = s.consumerFiles[1]!;
    const aimed = withConsumerParams(file, readFileSync(file, 'utf8'), {}, { port: String(port) });
    const r = await psql(chooseSite(file, aimed).text, 'SELECT 1');
    await rogue.close();
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/certificate verify failed/);
    expect(rogue.startups()).toBe(0);
  });

  it('rolls back byte for byte, with TLS as it was', async () => {
    const r = pgharden(['rollback', planDir]);
    expect(r.code).toBe(0);
    expect(fileIdentity(files)).toEqual(before);
    expect(existsSync(join(s.cluster.dataDir, 'pgharden-server.key'))).toBe(false);
    expect(existsSync(join(s.dir, 'pgharden-ca.crt'))).toBe(false);
    expect(await s.cluster.query('SHOW ssl')).toEqual([{ ssl: 'off' }]);
    expect(
      await probe({
        host: '127.0.0.1',
        port: s.cluster.port,
        localAddress: VPN_DEVICE,
        user: 'agents_app',
        database: 'workspace',
      }),
    ).toMatchObject({ kind: 'sasl' });
  });
});
