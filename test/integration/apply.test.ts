/**
 * pgharden apply, status and rollback on the story cluster, as subprocesses: the plan is carried
 * out and verified (the old paths refused by the server itself), rollback restores every file
 * byte for byte with its mode and owner and the old passwordless access, apply works again
 * after a rollback, and a stale plan or a second writer is refused.
 */
import { appendFileSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFrom } from '../../src/connect/from-address.js';
import { VPN_DEVICE } from '../../src/scratch/story.js';
import { probe } from '../../src/hba/probe.js';
import { testedInstalls } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';
import {
  fileIdentity,
  makeStoryPlan,
  serverState,
  storyWithConsumers,
  type StoryPlanSetup,
} from '../support/story-plan.js';

describe.each(testedInstalls())('pgharden apply and rollback on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  let planDir: string;
  let touched: string[];
  let original: Record<string, string>;
  let originalState: Record<string, unknown>;
  let applied: ReturnType<typeof pgharden>;

  beforeAll(async () => {
    s = await storyWithConsumers(install);
    planDir = makeStoryPlan(s, 'office-vpn');
    touched = [
      s.cluster.hbaFile,
      s.cluster.confFile,
      join(s.cluster.dataDir, 'postgresql.auto.conf'),
      ...s.consumerFiles,
    ];
    original = fileIdentity(touched);
    originalState = await serverState(s);
    applied = pgharden(['apply', planDir, '--yes']);
  });
  afterAll(async () => s?.cleanup());

  const superuserFromVpn = () =>
    probe({
      host: '127.0.0.1',
      port: s.cluster.port,
      localAddress: VPN_DEVICE,
      user: 'postgres',
      database: 'workspace',
    });

  it('applies every step, prints the rollback first and saves the verification report', () => {
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    const first = applied.stdout.indexOf('pgharden rollback');
    expect(first).toBeGreaterThan(-1);
    expect(first).toBeLessThan(applied.stdout.indexOf('preflight/lock'));
    const report = readFileSync(join(planDir, 'report.txt'), 'utf8');
    expect(report).toMatch(/\d+ checks passed, 0 failed/);
    expect(statSync(join(planDir, 'report.txt')).mode & 0o777).toBe(0o600);
  });

  it('leaves the old paths closed, as the server itself answers', async () => {
    expect(await superuserFromVpn()).toMatchObject({ kind: 'error', class: 'rejected' });
    const secrets = JSON.parse(readFileSync(join(planDir, 'secrets'), 'utf8')) as {
      roles: Record<string, { password: string }>;
    };
    const app = clientFrom(VPN_DEVICE, {
      host: '127.0.0.1',
      port: s.cluster.port,
      user: 'agents_app',
      database: 'workspace',
      password: secrets.roles.agents_app!.password,
    });
    await app.connect();
    try {
      await expect(app.query('UPDATE agents_kill_switch SET engaged = true')).rejects.toThrow(/permission denied/);
      expect((await app.query('SELECT count(*)::int AS n FROM tasks')).rows[0]).toEqual({ n: 250 });
    } finally {
      await app.end();
    }
    const env = readFileSync(s.consumerFiles[0]!, 'utf8');
    expect(env).toContain(
      `DATABASE_URL=postgres://agents_app:${secrets.roles.agents_app!.password}@127.0.0.1:${s.cluster.port}/workspace\n`,
    );
    expect(statSync(s.consumerFiles[0]!).mode & 0o777).toBe(0o640);
  });

  it('does nothing when run again on an applied plan, and says so', () => {
    const again = pgharden(['apply', planDir, '--yes']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Already applied: every step of office-vpn is done; nothing ran.');
    expect(readFileSync(join(planDir, 'report.txt'), 'utf8')).toMatch(/\d+ checks passed, 0 failed/);
  });

  it('shows every step done in status', () => {
    const r = pgharden(['status', planDir, '--json']);
    const json = JSON.parse(r.stdout) as { steps: { id: string; state: string }[] };
    expect(json.steps.filter((x) => x.state !== 'done')).toEqual([]);
  });

  it('refuses a second writer, naming who holds the lock', () => {
    writeFileSync(
      join(planDir, 'lock'),
      JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command: 'test' }),
    );
    try {
      const r = pgharden(['apply', planDir, '--yes']);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(String(process.pid));
    } finally {
      rmSync(join(planDir, 'lock'));
    }
  });

  it('rolls back: files byte for byte with mode and owner, roles as before, passwordless access back', async () => {
    const r = pgharden(['rollback', planDir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(fileIdentity(touched)).toEqual(original);
    expect(await serverState(s)).toEqual(originalState);
    expect(await superuserFromVpn()).toEqual({ kind: 'ok' });
  });

  it('applies again after the rollback drill', async () => {
    const again = pgharden(['apply', planDir, '--yes', '--json']);
    expect(again.code).toBe(0);
    const json = JSON.parse(again.stdout) as { outcome: string; steps: { id: string; outcome: string }[] };
    expect(json.outcome).toBe('applied');
    expect(json.steps.every((x) => x.outcome === 'done')).toBe(true);
    expect(again.stderr).toContain('Rollback, ready now:');
    expect(await superuserFromVpn()).toMatchObject({ kind: 'error', class: 'rejected' });
    const back = pgharden(['rollback', planDir, '--json']);
    expect(back.code).toBe(0);
    expect((JSON.parse(back.stdout) as { restored: string[] }).restored).toContain(s.cluster.hbaFile);
  });

  it('refuses a stale plan (exit 3), naming the changed file', () => {
    const stale = makeStoryPlan(s, 'stale');
    appendFileSync(s.cluster.hbaFile, '# a hand edit\n');
    const r = pgharden(['apply', stale, '--yes']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${s.cluster.hbaFile} content`);
    const back = pgharden(['rollback', stale]);
    expect(back.code).toBe(0);
    expect(back.stdout).toContain('stale was never applied (its journal is empty): nothing to roll back');
    expect(pgharden(['status', stale]).stdout).toMatch(/preflight\/lock +not-started/);
  });
});
