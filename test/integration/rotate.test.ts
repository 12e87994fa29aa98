/**
 * pgharden plan --rotate on the hardened story cluster, with two live consumers reconnecting every
 * 150 ms (each re-reads its file on every connection): 0 failed connections during the rotation,
 * the consumer moved to the other login of the pair, the old password refused by the server, the
 * new one working, password set times recorded; rollback restores the file and the old password.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { clientFrom } from '../../src/connect/from-address.js';
import { openJournal } from '../../src/execute/journal.js';
import { generatePassword, scramVerifier } from '../../src/plan/scram.js';
import { VPN_DEVICE } from '../../src/scratch/story.js';
import { testedInstalls } from '../support/cluster.js';
import { pgharden, pghardenAsync } from '../support/cli.js';
import { consumerLoop, type ConsumerLoop } from '../support/consumer-loop.js';
import { makeStoryPlan, storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';

const envDsn = (t: string) => /^DATABASE_URL=(\S+)$/m.exec(t)![1]!;
const yamlDsn = (t: string) => /url: "([^"]+)"/.exec(t)![1]!;
const secretsOf = (dir: string) =>
  (JSON.parse(readFileSync(join(dir, 'secrets'), 'utf8')) as { roles: Record<string, { password: string }> }).roles;

describe.each(testedInstalls())('pgharden plan --rotate on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  let hardened: string;
  let admin: string[];
  beforeAll(async () => {
    s = await storyWithConsumers(install);
    hardened = makeStoryPlan(s, 'office-vpn');
    const applied = pgharden(['apply', hardened, '--yes']);
    if (applied.code !== 0) throw new Error(`apply failed: ${applied.stderr}`);
    // After the flip the superuser is refused over TCP: plan reaches the server over its socket.
    admin = ['--dsn', `host=${s.cluster.socketDir} port=${s.cluster.port} user=postgres dbname=postgres`];
  });
  afterAll(async () => s?.cleanup());

  const login = async (user: string, password: string) => {
    const c = clientFrom(VPN_DEVICE, {
      host: '127.0.0.1',
      port: s.cluster.port,
      user,
      password,
      database: 'workspace',
    });
    try {
      await c.connect();
      await c.end();
      return 'ok';
    } catch (err) {
      return (err as { code?: string }).code ?? (err as Error).message;
    }
  };

  it('rotates agents_app with live consumers: 0 failed connections, the old password refused, rollback restores', async () => {
    const oldPassword = secretsOf(hardened).agents_app!.password;
    const envBefore = readFileSync(s.consumerFiles[0]!, 'utf8');
    const plan = join(s.dir, 'plans', 'rotate-agents');
    const made = pgharden(['plan', '--spec', s.spec, '--rotate', 'agents_app', '--out', plan, ...admin]);
    expect(made.stderr).toContain('Plan saved in');
    expect(made.code).toBe(0);
    const loops: ConsumerLoop[] = [
      consumerLoop(s.consumerFiles[0]!, envDsn, { from: VPN_DEVICE, application: 'agents' }),
      consumerLoop(s.consumerFiles[1]!, yamlDsn, { from: VPN_DEVICE, application: 'weekly' }),
    ];
    let applied: Awaited<ReturnType<typeof pghardenAsync>>;
    try {
      await new Promise((r) => setTimeout(r, 1000));
      applied = await pghardenAsync(['apply', plan, '--yes']);
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      for (const l of loops) await l.stop();
    }
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(loops.map((l) => l.failures)).toEqual([[], []]);
    expect(loops[0]!.attempts).toBeGreaterThan(10);
    expect(loops[0]!.users).toEqual(['agents_app', 'agents_app_alt']);
    expect(loops[1]!.users).toEqual(['reporting']);

    const newPassword = secretsOf(plan).agents_app_alt!.password;
    expect(readFileSync(s.consumerFiles[0]!, 'utf8')).toBe(
      envBefore.replace(`agents_app:${oldPassword}@`, `agents_app_alt:${newPassword}@`),
    );
    // The server itself refuses the old password; the new one logs in with agents_app's privileges.
    expect(['28P01', '28000']).toContain(await login('agents_app', oldPassword));
    expect(await login('agents_app_alt', newPassword)).toBe('ok');
    expect(readFileSync(join(plan, 'report.txt'), 'utf8')).toMatch(/\d+ checks passed, 0 failed/);
    const recorded = JSON.parse(readFileSync(join(plan, 'plan.json'), 'utf8')) as { passwords: unknown };
    expect(recorded.passwords).toEqual({
      maxAgeDays: null,
      set: [{ role: 'agents_app_alt', step: 'roles/rotate-agents_app_alt' }],
    });
    expect(readFileSync(join(plan, 'plan.json'), 'utf8')).not.toContain(newPassword);
    // drift accepts the pair's other login.
    const drift = pgharden(['drift', hardened]);
    expect(drift.stdout).toContain('In sync');

    const back = pgharden(['rollback', plan]);
    expect(back.stderr).toBe('');
    expect(back.code).toBe(0);
    expect(readFileSync(s.consumerFiles[0]!, 'utf8')).toBe(envBefore);
    expect(await login('agents_app', oldPassword)).toBe('ok');
    expect((await s.cluster.query('SELECT 1 FROM pg_roles WHERE rolname = $1', ['agents_app_alt'])).length).toBe(0);
  });

  /** Runs one apply of a --rotate-all plan with both consumer loops live; returns the loops and the plan. */
  /** The story's spec with a reload command for the agents consumer, which appends a line to `marker`. */
  const withReload = (marker: string) => {
    const file = join(s.dir, 'harden-reload.yaml');
    writeFileSync(
      file,
      readFileSync(s.spec, 'utf8').replace(
        'application: agents }',
        `application: agents, reload: [sh, -c, "echo reloaded >> ${marker}"] }`,
      ),
    );
    return file;
  };

  const rotateAllLive = async (name: string) => {
    const plan = join(s.dir, 'plans', name);
    const spec = withReload(join(s.dir, 'agents.reloads'));
    const made = pgharden(['plan', '--spec', spec, '--rotate-all', '--out', plan, ...admin]);
    expect(made.code, made.stderr).toBe(0);
    const loops = [
      consumerLoop(s.consumerFiles[0]!, envDsn, { from: VPN_DEVICE, application: 'agents' }),
      consumerLoop(s.consumerFiles[1]!, yamlDsn, { from: VPN_DEVICE, application: 'weekly' }),
    ];
    let applied: Awaited<ReturnType<typeof pghardenAsync>>;
    try {
      await new Promise((r) => setTimeout(r, 500));
      applied = await pghardenAsync(['apply', plan, '--yes']);
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      for (const l of loops) await l.stop();
    }
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    return { plan, loops };
  };

  it('rotates every role twice, going back to the first login of the pair, with 0 failed connections', async () => {
    const first = await rotateAllLive('rotate-all-1');
    expect(first.loops.map((l) => l.failures)).toEqual([[], []]);
    expect(readFileSync(join(s.dir, 'agents.reloads'), 'utf8')).toBe('reloaded\n');
    expect(first.loops.map((l) => l.users)).toEqual([
      ['agents_app', 'agents_app_alt'],
      ['reporting', 'reporting_alt'],
    ]);
    const second = await rotateAllLive('rotate-all-2');
    expect(second.loops.map((l) => l.failures)).toEqual([[], []]);
    expect(readFileSync(join(s.dir, 'agents.reloads'), 'utf8')).toBe('reloaded\nreloaded\n');
    expect(second.loops.map((l) => l.users)).toEqual([
      ['agents_app_alt', 'agents_app'],
      ['reporting_alt', 'reporting'],
    ]);
    const firstSecrets = secretsOf(first.plan);
    const secondSecrets = secretsOf(second.plan);
    expect(['28P01', '28000']).toContain(await login('agents_app_alt', firstSecrets.agents_app_alt!.password));
    expect(await login('agents_app', secondSecrets.agents_app!.password)).toBe('ok');
    const roles = await s.cluster.query<{ rolname: string; rolcanlogin: boolean }>(
      "SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE '%\\_alt' ORDER BY 1",
    );
    expect(roles).toEqual([
      { rolname: 'agents_app_alt', rolcanlogin: false },
      { rolname: 'reporting_alt', rolcanlogin: false },
    ]);
  });

  it('is needed: the same loops see failures when the password is changed in place and the file rewritten after', async () => {
    // The control: what a rotation without the pair does. The loops must notice it.
    const env = s.consumerFiles[0]!;
    const before = readFileSync(env, 'utf8');
    const user = /postgres:\/\/([^:]+):/.exec(before)![1]!;
    const loop = consumerLoop(env, envDsn, { from: VPN_DEVICE, application: 'agents' });
    try {
      await new Promise((r) => setTimeout(r, 500));
      const password = generatePassword();
      await s.cluster.query(`ALTER ROLE ${user} PASSWORD '${scramVerifier(password)}'`);
      await new Promise((r) => setTimeout(r, 600));
      writeFileSync(env, before.replace(/(postgres:\/\/[^:]+:)[^@]+@/, `$1${encodeURIComponent(password)}@`));
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await loop.stop();
    }
    expect(loop.failures.length).toBeGreaterThan(0);
    expect(loop.failures[0]).toContain('password authentication failed');
  });

  it('audits password ages from the plans: a password set longer ago than the spec allows is a finding', () => {
    // A plan whose journal says agents_app's password was set on 2026-01-01 (the journal's clock is faked).
    const plans = join(s.dir, 'aged-plans');
    mkdirSync(join(plans, 'old'), { recursive: true });
    writeFileSync(
      join(plans, 'old', 'plan.json'),
      JSON.stringify({ passwords: { maxAgeDays: 30, set: [{ role: 'agents_app', step: 'roles/create-agents_app' }] } }),
    );
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00.000Z'), toFake: ['Date'] });
    try {
      const j = openJournal(join(plans, 'old', 'journal'));
      j.append({ type: 'intent', stepId: 'roles/create-agents_app', undo: null });
      j.append({ type: 'done', stepId: 'roles/create-agents_app', after: [] });
    } finally {
      vi.useRealTimers();
    }
    const audit = (...extra: string[]) => {
      const r = pgharden(['audit', ...admin, '--plans', plans, '--json', ...extra]);
      return (JSON.parse(r.stdout) as { findings: { id: string; evidence: string[] }[] }).findings.filter(
        (f) => f.id === 'password-age',
      );
    };
    const found = audit();
    expect(found).toHaveLength(1);
    expect(found[0]!.evidence[0]).toMatch(
      /^role "agents_app": password set 2026-01-01T00:00:00\.000Z by \S+old \(\d+\.\d days ago; the limit is 30\)$/,
    );
    expect(audit('--password-max-age', '36500')).toEqual([]);
  });
});
