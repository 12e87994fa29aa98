/**
 * The original story in one plan: a spec with the hardening (roles, consumers, the flip to
 * scram-sha-256) and `tls: verify-full`, planned by the ordinary `pgharden plan --spec` on the
 * trust cluster. One plan in the safe order (roles under trust, server TLS by reload, consumers
 * moved to their new roles with verify-full and channel_binding=require, the flip to hostssl with
 * hostnossl reject, verify), applied while consumer loops reconnect every 150 ms through psql:
 * zero failed connections; afterwards plain TCP, passwordless and superuser logins from the
 * trusted range are refused, and one rollback restores every file byte for byte.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe } from '../../src/hba/probe.js';
import { chooseSite } from '../../src/consumers/edit.js';
import { VPN_DEVICE } from '../../src/scratch/story.js';
import { testedInstalls } from '../support/cluster.js';
import { pgharden, pghardenAsync } from '../support/cli.js';
import {
  fileIdentity,
  hasDumpTools,
  makeStoryPlan,
  serverState,
  storyWithConsumers,
  type StoryPlanSetup,
} from '../support/story-plan.js';
import { consumerLoop, dsnOf, psql } from '../support/tls-story.js';

interface PlanJson {
  tls?: { names: string[]; mode: string };
  notices: string[];
  steps: { id: string; stage: string; forward: { do: string; params?: Record<string, string>; content?: string } }[];
}

describe.each(testedInstalls())('hardening and TLS in one plan on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  let serviceFile: string;
  let jsonFile: string;
  let planDir: string;
  let files: string[];
  let before: Record<string, string>;
  let stateBefore: Record<string, unknown>;
  beforeAll(async () => {
    s = await storyWithConsumers(install);
    // Two more consumers still on the superuser under trust: a pg_service.conf section and a keyword/value string in JSON.
    serviceFile = join(s.dir, 'pg_service.conf');
    jsonFile = join(s.dir, 'worker.json');
    writeFileSync(
      serviceFile,
      `# agents' batch jobs\n[agents-batch]\nhost=127.0.0.1\nport=${s.cluster.port}\ndbname=workspace\nuser=postgres\napplication_name=batch\n`,
      { mode: 0o644 },
    );
    writeFileSync(
      jsonFile,
      `{\n  "name": "worker",\n  "dsn": "host=127.0.0.1 port=${s.cluster.port} dbname=workspace user=postgres application_name=worker"\n}\n`,
      { mode: 0o644 },
    );
    writeFileSync(
      s.spec,
      `${readFileSync(s.spec, 'utf8')}${[
        '  - { name: batch, file: pg_service.conf, key: agents-batch, role: agents_app, application: batch }',
        '  - { name: worker, file: worker.json, key: dsn, role: agents_app, application: worker }',
        'tls: { mode: verify-full, minProtocol: TLSv1.2, certificate: generate }',
        '',
      ].join('\n')}`,
    );
    files = [
      s.cluster.hbaFile,
      join(s.cluster.dataDir, 'postgresql.conf'),
      join(s.cluster.dataDir, 'postgresql.auto.conf'),
      ...s.consumerFiles,
      serviceFile,
      jsonFile,
    ];
    before = fileIdentity(files);
    stateBefore = await serverState(s);
  });
  afterAll(async () => s?.cleanup());

  /** The file:line of each tls-consumer-unverified evidence line, as `pgharden audit --json` reports it. */
  const unverified = (dsn: string) => {
    const r = pgharden(['audit', '--json', '--dsn', dsn, '--plans', join(s.dir, 'plans'), '--fail-on', 'critical']);
    const findings = (JSON.parse(r.stdout) as { findings: { id: string; evidence: string[] }[] }).findings;
    const f = findings.find((x) => x.id === 'tls-consumer-unverified');
    return (f?.evidence ?? []).map((e) => e.split(': consumer ')[0]);
  };

  it('plans roles, server TLS, consumers with verify-full, the flip to hostssl and verify in one plan', () => {
    planDir = makeStoryPlan(s, 'harden-tls');
    const plan = JSON.parse(readFileSync(join(planDir, 'plan.json'), 'utf8')) as PlanJson;
    const stages = [...new Set(plan.steps.map((x) => x.stage))];
    expect(stages).toEqual(['preflight', 'roles', 'canary', 'server-tls', 'consumers', 'flip', 'verify']);
    expect(plan.tls?.names).toEqual(['127.0.0.1']);
    const rewrites = plan.steps.filter((x) => x.forward.do === 'rewrite-consumer');
    expect(rewrites.map((x) => x.id)).toEqual([
      'consumers/agents/rewrite',
      'consumers/weekly-report/rewrite',
      'consumers/batch/rewrite',
      'consumers/worker/rewrite',
    ]);
    for (const r of rewrites)
      expect(r.forward.params).toEqual({ sslmode: 'verify-full', sslrootcert: join(s.dir, 'pgharden-ca.crt') });
    // channel_binding=require once every rule a consumer reaches asks for SCRAM: after the flip's reload.
    const ids = plan.steps.map((x) => x.id);
    for (const c of ['agents', 'weekly-report', 'batch', 'worker'])
      expect(ids.indexOf(`flip/channel-binding-${c}`)).toBeGreaterThan(ids.indexOf('flip/reload'));
    expect(ids.indexOf('server-tls/reload')).toBeLessThan(ids.indexOf('consumers/agents/ca'));
    expect(ids.indexOf('consumers/agents/ca')).toBeLessThan(ids.indexOf('consumers/agents/rewrite'));
    const flip = plan.steps.find((x) => x.id === 'flip/hba')!.forward.content!;
    expect(flip).toMatch(/^hostnossl\s+all\s+all\s+127\.10\.0\.0\/16\s+reject/m);
    expect(flip).toMatch(/^hostssl\s+workspace\s+agents_app\s+127\.10\.0\.0\/16\s+scram-sha-256/m);
    expect(flip).toMatch(/^hostssl\s+all\s+all\s+127\.10\.0\.0\/16\s+scram-sha-256/m);
    expect(flip).not.toMatch(/^host\s+\S+\s+\S+\s+\S+\s+(trust|scram-sha-256)/m);
    // The audit names each consumer file whose string does not verify the server, with file:line: the plan asks for TLS.
    expect(unverified(s.dsn)).toEqual([
      `${s.consumerFiles[0]}:2`,
      `${s.consumerFiles[1]}:2`,
      `${serviceFile}:2`,
      `${jsonFile}:3`,
    ]);
    // The review is one review: the consumers' diffs show the TLS parameters.
    const review = pgharden(['review', planDir]);
    expect(review.code).toBe(0);
    expect(review.stdout).toContain('server-tls');
    expect(review.stdout).toContain('sslmode=verify-full');
  });

  it('applies with zero failed connections while the consumers reconnect every 150 ms', async () => {
    const loops = [
      consumerLoop(s.consumerFiles[0]!, 'DATABASE_URL'),
      consumerLoop(s.consumerFiles[1]!, undefined),
      consumerLoop(serviceFile, 'agents-batch'),
      consumerLoop(jsonFile, 'dsn'),
    ];
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
      // Plain under trust before the server offers TLS, encrypted at the end.
      expect(l.ssl[0]).toBe('f');
      expect(l.ssl.at(-1)).toBe('t');
    }
    const report = JSON.parse(readFileSync(join(planDir, 'report.json'), 'utf8')) as {
      steps: { id: string; stage: string; ms: number; results: { description: string; outcome: string }[] }[];
    };
    const results = report.steps.flatMap((x) => x.results);
    expect(results.filter((x) => x.outcome !== 'pass')).toEqual([]);
    const described = results.map((x) => x.description);
    expect(described.filter((d) => d.includes('a listener with another certificate'))).toHaveLength(4);
    const stages: Record<string, number> = {};
    for (const x of report.steps) stages[x.stage] = (stages[x.stage] ?? 0) + x.ms;
    console.log(
      `hardening + TLS apply on ${install.major}: ${took} ms in all; per stage (ms): ${JSON.stringify(stages)}`,
    );
  });

  it('leaves every consumer on verify-full over TLS, and plain, passwordless and superuser logins refused', async () => {
    const agents = chooseSite(s.consumerFiles[0]!, readFileSync(s.consumerFiles[0]!, 'utf8'), 'DATABASE_URL').text;
    expect(agents).toMatch(
      /^postgres:\/\/agents_app:[^@]+@127\.0\.0\.1:\d+\/workspace\?sslmode=verify-full&sslrootcert=\S+&channel_binding=require$/,
    );
    expect(readFileSync(serviceFile, 'utf8')).toMatch(/user=agents_app\n[\s\S]*sslmode=verify-full\n/);
    expect(readFileSync(jsonFile, 'utf8')).toMatch(
      /user=agents_app .*sslmode=verify-full sslrootcert=\S+ channel_binding=require"/,
    );
    // channel_binding=require and verify-full hold: libpq logs in with SCRAM-SHA-256-PLUS to the plan's certificate.
    expect((await psql(agents, 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).out.trim()).toBe('t');
    const from = { host: '127.0.0.1', port: s.cluster.port, localAddress: VPN_DEVICE, database: 'workspace' };
    // Plain TCP from the trusted range: refused by hostnossl … reject.
    expect(await probe({ ...from, user: 'agents_app' })).toMatchObject({ kind: 'error', class: 'rejected' });
    // Over TLS a password is asked for: no passwordless login.
    expect(await probe({ ...from, user: 'agents_app', ssl: true })).toMatchObject({ kind: 'sasl' });
    const nopw = await psql(
      `host=127.0.0.1 port=${s.cluster.port} dbname=workspace user=agents_app sslmode=require`,
      'SELECT 1',
    );
    expect(nopw.code).not.toBe(0);
    // The superuser over the network: refused with and without TLS.
    expect(await probe({ ...from, user: 'postgres' })).toMatchObject({ kind: 'error', class: 'rejected' });
    expect(await probe({ ...from, user: 'postgres', ssl: true })).toMatchObject({ kind: 'error', class: 'rejected' });
    // The server requires TLS now, and every consumer verifies it: the audit has nothing to say about them.
    expect(unverified(dsnOf(s))).toEqual([]);
    // A second plan from the same spec: nothing to do.
    const again = pgharden([
      'plan',
      '--spec',
      s.spec,
      '--out',
      join(s.dir, 'plans', 'again'),
      '--dsn',
      dsnOf(s),
      ...(hasDumpTools(s.cluster.major) ? [] : ['--skip-backup']),
    ]);
    expect(again.stderr).toContain('Nothing to do');
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('Nothing to do');
  });

  it('renews the certificate from the CA this plan generated, and rolls the renewal back', () => {
    const renew = join(s.dir, 'plans', 'renew');
    const made = pgharden(['plan', '--spec', s.spec, '--renew-certificate', '--out', renew, '--dsn', dsnOf(s)]);
    expect(made.stderr).not.toContain('no applied TLS plan');
    expect(made.code).toBe(0);
    const applied = pgharden(['apply', renew, '--yes']);
    expect(applied.code).toBe(0);
    const report = JSON.parse(readFileSync(join(renew, 'report.json'), 'utf8')) as {
      steps: { results: { outcome: string }[] }[];
    };
    expect(report.steps.flatMap((x) => x.results).filter((x) => x.outcome !== 'pass')).toEqual([]);
    expect(pgharden(['rollback', renew]).code).toBe(0);
  });

  it('rolls back byte for byte with one command, TLS and trust as they were', async () => {
    const r = pgharden(['rollback', planDir]);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(fileIdentity(files)).toEqual(before);
    for (const f of ['pgharden-server.crt', 'pgharden-server.key'])
      expect(existsSync(join(s.cluster.dataDir, f))).toBe(false);
    expect(existsSync(join(s.dir, 'pgharden-ca.crt'))).toBe(false);
    expect(existsSync(join(planDir, 'tls', 'ca.key'))).toBe(true);
    expect(await s.cluster.query('SHOW ssl')).toEqual([{ ssl: 'off' }]);
    expect(await serverState(s)).toEqual(stateBefore);
  });
});
