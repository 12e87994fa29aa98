/**
 * Consumers during apply: their reload and health commands run (argv, no shell, output shown), a
 * failing health check stops apply with exit 1 and the way back, and a consumer still connected
 * on its old identity when the drain gate times out is named, session by session; an apply stopped
 * with SIGTERM while a reload command runs takes that command and its children down with it.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFrom } from '../../src/connect/from-address.js';
import { VPN_DEVICE, VPN_RANGE } from '../../src/scratch/story.js';
import { testedInstalls } from '../support/cluster.js';
import { CLI, pgharden } from '../support/cli.js';
import { hasDumpTools } from '../support/story-plan.js';
import { storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';

describe.each(testedInstalls())('consumers during apply on PostgreSQL $major', (install) => {
  // No pg_dump of this major on the machine: plan without the verified backup (said loudly).
  const skip = hasDumpTools(install.major) ? [] : ['--skip-backup'];
  let s: StoryPlanSetup;
  beforeAll(async () => {
    s = await storyWithConsumers(install);
  });
  afterAll(async () => s?.cleanup());

  const spec = (name: string, consumer: string) => {
    const file = join(s.dir, `${name}.yaml`);
    writeFileSync(
      file,
      [
        `target: { dsn: "${s.dsn}" }`,
        `network: { trustedRanges: [${VPN_RANGE}] }`,
        'roles: [{ name: agents_app, template: app-readwrite, databases: [workspace] }]',
        `consumers: [${consumer}]`,
        '',
      ].join('\n'),
    );
    const out = join(s.dir, 'plans', name);
    const r = pgharden(['plan', '--spec', file, '--out', out, ...skip]);
    if (r.code !== 0) throw new Error(r.stderr);
    return out;
  };

  it('runs the reload command, and stops at a failing health check with the way back', () => {
    const marker = join(s.dir, 'reloaded');
    const plan = spec(
      'health',
      `{ name: agents, file: agents.env, key: DATABASE_URL, role: agents_app, reload: [sh, -c, "echo reloaded-agents; touch ${marker}"], healthCheck: [sh, -c, "echo unhealthy >&2; exit 7"] }`,
    );
    const r = pgharden(['apply', plan, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('| reloaded-agents');
    expect(readFileSync(marker, 'utf8')).toBe('');
    expect(r.stderr).toContain(
      'apply stopped at consumers/agents/health: sh -c echo unhealthy >&2; exit 7 failed (exit 7): unhealthy',
    );
    expect(r.stderr).toContain(`pgharden rollback ${plan}`);
    const back = pgharden(['rollback', plan]);
    expect(back.code).toBe(0);
    expect(back.stdout).toContain('consumers/agents/reload: ran sh -c');
  });

  it('names each session still on the old identity when the drain gate times out', async () => {
    const plan = spec(
      'straggler',
      '{ name: agents, file: agents.env, key: DATABASE_URL, role: agents_app, application: agents, drainTimeout: 1 }',
    );
    const old = clientFrom(VPN_DEVICE, {
      host: '127.0.0.1',
      port: s.cluster.port,
      user: 'postgres',
      database: 'workspace',
      application_name: 'agents',
    });
    await old.connect();
    const pid = (await old.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0]!.p;
    try {
      const r = pgharden(['apply', plan, '--yes']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`Sessions still on postgres after 1 s: pid ${pid} (agents from ${VPN_DEVICE})`);
      // Shown while it waits, not only when it gives up, with what to do.
      expect(r.stdout).toMatch(
        new RegExp(
          `waiting up to 1 s for 1 session on postgres: pid ${pid} \\(postgres, agents from ${VPN_DEVICE.replace(/\./g, '\\.')}, since \\d\\d:\\d\\d:\\d\\d\\); reload or restart that client`,
        ),
      );
      // Stopped before the flip: the straggler's session and the old rules are untouched.
      expect((await old.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await old.end();
    }
    expect(pgharden(['rollback', plan]).code).toBe(0);
  });

  it('moves a keyword/value DSN, a pg_service.conf section and a .pgpass line, and each logs in', async () => {
    const ini = join(s.dir, 'worker.ini');
    const service = join(s.dir, 'pg_service.conf');
    const pgpass = join(s.dir, '.pgpass');
    writeFileSync(
      ini,
      `[db]\ndsn = host=127.0.0.1 port=${s.cluster.port} dbname=workspace user=postgres  # the worker\n`,
    );
    writeFileSync(
      service,
      `# services\n[reports]\nhost=127.0.0.1\nport=${s.cluster.port}\ndbname=workspace\nuser=postgres\n`,
    );
    writeFileSync(pgpass, `127.0.0.1:${s.cluster.port}:workspace:postgres:unused\n`, { mode: 0o600 });
    const plan = spec(
      'formats',
      [
        '{ name: worker, file: worker.ini, key: dsn, role: agents_app }',
        `{ name: reports, file: pg_service.conf, key: reports, role: agents_app }`,
        `{ name: cron, file: .pgpass, key: "127.0.0.1:${s.cluster.port}:workspace", role: agents_app }`,
      ].join(', '),
    );
    const r = pgharden(['apply', plan, '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = readFileSync(join(plan, 'report.txt'), 'utf8');
    for (const f of [ini, service, pgpass]) expect(report).toContain(`connection string in ${f} logs in`);
    const password = (
      JSON.parse(readFileSync(join(plan, 'secrets'), 'utf8')) as { roles: Record<string, { password: string }> }
    ).roles.agents_app!.password;
    expect(readFileSync(ini, 'utf8')).toBe(
      `[db]\ndsn = host=127.0.0.1 port=${s.cluster.port} dbname=workspace user=agents_app password=${password}  # the worker\n`,
    );
    expect(readFileSync(service, 'utf8')).toBe(
      `# services\n[reports]\nhost=127.0.0.1\nport=${s.cluster.port}\ndbname=workspace\nuser=agents_app\npassword=${password}\n`,
    );
    expect(readFileSync(pgpass, 'utf8')).toBe(`127.0.0.1:${s.cluster.port}:workspace:agents_app:${password}\n`);
    expect(pgharden(['rollback', plan]).code).toBe(0);
    expect(readFileSync(pgpass, 'utf8')).toBe(`127.0.0.1:${s.cluster.port}:workspace:postgres:unused\n`);
  });

  it('takes a running reload command and its children down when apply is stopped with SIGTERM', async () => {
    const pids = join(s.dir, 'reload.pids');
    const stop = join(s.dir, 'reload.stop');
    // Hangs (with a grandchild) until the stop file exists: then rollback's rerun returns at once.
    const plan = spec(
      'stopped',
      `{ name: agents, file: agents.env, key: DATABASE_URL, role: agents_app, reload: [sh, -c, "test -e ${stop} || { sleep 300 & echo $$ $! > ${pids}; wait; }"] }`,
    );
    const apply = spawn(process.execPath, [CLI, 'apply', plan, '--yes'], {
      stdio: 'ignore',
      env: { ...process.env, NO_COLOR: '1' },
    });
    const ended = new Promise<NodeJS.Signals | null>((r) => apply.on('exit', (_code, signal) => r(signal)));
    expect(
      await until(() => existsSync(pids) && readFileSync(pids, 'utf8').trim().split(' ').length === 2, 300_000),
    ).toBe(true);
    const [shell, grandchild] = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
    apply.kill('SIGTERM');
    expect(await ended).toBe('SIGTERM');
    expect(await until(() => !running(shell!) && !running(grandchild!), 120_000)).toBe(true);
    writeFileSync(stop, '');
    expect(pgharden(['rollback', plan]).code).toBe(0);
  });
});

/** Running, not a zombie (an orphan killed by a signal may stay one until init reaps it). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function until(what: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50)))
    if (what()) return true;
  return what();
}
