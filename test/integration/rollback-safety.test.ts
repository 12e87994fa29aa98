/**
 * Rollback when things are not as they should be:
 * - postmaster.pid names a pid that is not this data directory's postmaster (a `sleep`, as after a
 *   crash and pid reuse; a backend of the server): neither rollback nor rollback.sh signals it;
 * - the journal of a half-applied plan is gone: the backups and the server say what to undo;
 * - two applies of one plan start at once: the loser is told who holds the lock;
 * - a consumer still holds a session on a role rollback would drop: the role is kept and the
 *   session named; `--terminate` ends it and drops the role.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFrom } from '../../src/connect/from-address.js';
import { VPN_DEVICE } from '../../src/scratch/story.js';
import { probe } from '../../src/hba/probe.js';
import { testedInstalls } from '../support/cluster.js';
import { pgharden, pghardenAsync } from '../support/cli.js';
import {
  fileIdentity,
  makeStoryPlan,
  serverState,
  storyWithConsumers,
  type StoryPlanSetup,
} from '../support/story-plan.js';

/** Running, not a zombie (a child killed by a signal stays one until node reaps it). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe.each(testedInstalls())('rollback safety on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  let touched: string[];
  let original: Record<string, string>;
  let originalState: Record<string, unknown>;
  beforeAll(async () => {
    s = await storyWithConsumers(install);
    // A short drain, so rollback's wait for a session that never leaves is short too.
    writeFileSync(
      s.spec,
      readFileSync(s.spec, 'utf8').replace('application: agents }', 'application: agents, drainTimeout: 2 }'),
    );
    touched = [
      s.cluster.hbaFile,
      s.cluster.confFile,
      join(s.cluster.dataDir, 'postgresql.auto.conf'),
      ...s.consumerFiles,
    ];
    original = fileIdentity(touched);
    originalState = await serverState(s);
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
  const pidFile = () => join(s.cluster.dataDir, 'postmaster.pid');
  const applied = (name: string) => {
    const plan = makeStoryPlan(s, name);
    const r = pgharden(['apply', plan, '--yes']);
    if (r.code !== 0) throw new Error(`apply failed: ${r.stderr}`);
    return plan;
  };
  /** Runs fn with postmaster.pid's first line replaced by pid (the rest kept), then puts the file back. */
  async function withPidFile<T>(pid: number, fn: () => T | Promise<T>): Promise<T> {
    const real = readFileSync(pidFile(), 'utf8');
    writeFileSync(pidFile(), real.replace(/^\d+\n/, `${pid}\n`));
    try {
      return await fn();
    } finally {
      writeFileSync(pidFile(), real);
    }
  }

  it('signals the postmaster once proven, and never a pid that is not it', async () => {
    const plan = applied('signal');
    // Lives as long as the test may: it must still run when the assertions look at it.
    const sleeper = spawn('sleep', ['3600'], { stdio: 'ignore' });
    let backend: Awaited<ReturnType<StoryPlanSetup['cluster']['connect']>> | undefined;
    try {
      // The postmaster rereads postmaster.pid every minute and shuts down when it names another
      // pid: the false pid stays only until rollback has said it will not signal it, however slow
      // the machine, then the real file is back.
      const real = readFileSync(pidFile(), 'utf8');
      writeFileSync(pidFile(), real.replace(/^\d+\n/, `${sleeper.pid}\n`));
      const r = await pghardenAsync(['rollback', plan], {}, (out) => {
        if (out.includes('Did not signal the pid')) writeFileSync(pidFile(), real);
      }).finally(() => writeFileSync(pidFile(), real));
      expect(alive(sleeper.pid!)).toBe(true);
      expect(r.stdout).toContain(
        `Did not signal the pid in ${pidFile()}: pid ${sleeper.pid} runs sleep, not postgres. Reload the server with: pg_ctl reload -D ${s.cluster.dataDir}`,
      );
      expect(r.stdout).toContain('reloaded through pg_reload_conf() on the admin path instead');
      expect(r.code).toBe(0);
      expect(alive(sleeper.pid!)).toBe(true);
      expect(fileIdentity(touched)).toEqual(original);
      expect(await superuserFromVpn()).toEqual({ kind: 'ok' });

      // A backend runs postgres in the data directory too, but did not start when the postmaster did
      // (seconds ago: an apply and a rollback ran since). Opened now, while trust lets it in.
      backend = await s.cluster.connect();
      const [{ pid: backendPid }] = (await backend.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [
        { pid: number },
      ];
      const again = applied('signal-sh');
      const sh = await withPidFile(sleeper.pid!, () =>
        spawnSync('sh', [join(again, 'rollback.sh')], { encoding: 'utf8' }),
      );
      expect(sh.stderr).toContain(`was not signalled: pid ${sleeper.pid} runs sleep, not postgres`);
      expect(sh.status).toBe(1);
      expect(alive(sleeper.pid!)).toBe(true);
      const viaBackend = await withPidFile(backendPid, () =>
        spawnSync('sh', [join(again, 'rollback.sh')], { encoding: 'utf8' }),
      );
      expect(viaBackend.stderr).toContain(`pid ${backendPid} did not start when postmaster.pid says`);
      expect(viaBackend.status).toBe(1);
      // The real postmaster is proven and signalled: the restored rules are in force.
      const ok = spawnSync('sh', [join(again, 'rollback.sh')], { encoding: 'utf8' });
      expect(ok.stderr).toBe('');
      expect(ok.status).toBe(0);
      for (let i = 0; i < 2000 && (await superuserFromVpn()).kind !== 'ok'; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(await superuserFromVpn()).toEqual({ kind: 'ok' });
      const back = pgharden(['rollback', again]);
      expect(back.stdout).toMatch(/undid roles\/create-agents_app/);
      const proven = pgharden(['rollback', applied('signal-proven')]);
      expect(proven.stdout).toMatch(
        new RegExp(`signalled the postmaster \\(pid ${readFileSync(pidFile(), 'utf8').split('\n')[0]}\\) to reload`),
      );
      expect(proven.code).toBe(0);
    } finally {
      sleeper.kill('SIGKILL');
      await backend?.end().catch(() => undefined);
    }
    expect(await serverState(s)).toEqual(originalState);
  });

  it('rolls back a half-applied plan whose journal was deleted, from its backups and what the server shows', async () => {
    const plan = makeStoryPlan(s, 'no-journal');
    const killed = pgharden(['apply', plan, '--yes'], { PGHARDEN_FAULT: 'consumers/agents/drain:done' });
    expect(killed.code).not.toBe(0);
    rmSync(join(plan, 'journal'));
    const r = pgharden(['rollback', plan]);
    expect(r.stdout).not.toContain('never applied');
    expect(r.stdout).toContain('has no journal, but');
    expect(r.stdout).toContain('undid roles/create-agents_app');
    expect(r.code).toBe(0);
    expect(fileIdentity(touched)).toEqual(original);
    expect(await serverState(s)).toEqual(originalState);
    expect(await superuserFromVpn()).toEqual({ kind: 'ok' });
  });

  it('tells the loser of two simultaneous applies who holds the lock', async () => {
    const plan = makeStoryPlan(s, 'twice');
    const [a, b] = await Promise.all([
      pghardenAsync(['apply', plan, '--yes']),
      pghardenAsync(['apply', plan, '--yes']),
    ]);
    const [won, lost] = a!.code === 0 ? [a!, b!] : [b!, a!];
    expect(won.code).toBe(0);
    expect(lost.code).toBe(3);
    expect(lost.stderr).toMatch(/lock is held by pid \d+ on \S+ since \S+/);
    expect(lost.stderr).not.toContain('unreadable');
    expect(pgharden(['rollback', plan]).code).toBe(0);
    expect(await serverState(s)).toEqual(originalState);
  });

  it('keeps a role that still has a session, naming it; --terminate ends the session and drops the role', async () => {
    const plan = applied('live-session');
    const secrets = JSON.parse(readFileSync(join(plan, 'secrets'), 'utf8')) as {
      roles: Record<string, { password: string }>;
    };
    const app = clientFrom(VPN_DEVICE, {
      host: '127.0.0.1',
      port: s.cluster.port,
      user: 'agents_app',
      database: 'workspace',
      password: secrets.roles.agents_app!.password,
      application_name: 'agents-worker',
    });
    await app.connect();
    const [{ pid }] = (await app.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
    app.on('error', () => undefined);
    const roles = async () =>
      (
        await s.cluster.query<{ r: string }>(
          "SELECT rolname AS r FROM pg_roles WHERE rolname IN ('agents_app', 'reporting') ORDER BY 1",
        )
      ).map((x) => x.r);

    const kept = pgharden(['rollback', plan]);
    expect(kept.stderr).toContain(
      `role agents_app: sessions are still logged in as it: pid ${pid} (agents-worker from ${VPN_DEVICE}). Stop those clients, or end them with: pgharden rollback --terminate ${plan}`,
    );
    expect(kept.code).toBe(1);
    expect(await roles()).toEqual(['agents_app']);
    expect((await app.query('SELECT count(*)::int AS n FROM tasks')).rows[0]).toEqual({ n: 250 });
    expect(fileIdentity(touched)).toEqual(original);

    const terminated = pgharden(['rollback', '--terminate', plan]);
    expect(terminated.stdout).toContain(
      `ended 1 session of agents_app (--terminate): pid ${pid} (agents-worker from ${VPN_DEVICE})`,
    );
    expect(terminated.code).toBe(0);
    expect(await roles()).toEqual([]);
    await expect(app.query('SELECT 1')).rejects.toThrow();
    await app.end().catch(() => undefined);
    expect(await serverState(s)).toEqual(originalState);
  });
});
