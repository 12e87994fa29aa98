/**
 * The server restarted during apply (`pg_ctl restart -m fast` while the drain gate waits for a
 * consumer's old session): apply stops with a step failure that names the lost session and the
 * server's words, and says how to resume and how to roll back, exit 1, with no unhandled 'error'
 * event and no stack trace; run again, apply resumes and reaches "Applied and verified".
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFrom } from '../../src/connect/from-address.js';
import { VPN_DEVICE } from '../../src/scratch/story.js';
import { testedInstalls } from '../support/cluster.js';
import { CLI, pgharden } from '../support/cli.js';
import { consumerSpec, storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';

describe.each(testedInstalls())('a server restart during apply on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  beforeAll(async () => {
    s = await storyWithConsumers(install);
    // The restart ends this test's own sessions too.
    s.workspace.on('error', () => undefined);
  });
  afterAll(async () => s?.cleanup());

  it('stops at the drain with a clean step failure and the resume line, then resumes to a verified end', async () => {
    const spec = consumerSpec(s, 'restart', [
      '{ name: agents, file: agents.env, key: DATABASE_URL, role: agents_app, application: agents, drainTimeout: 300 }',
    ]);
    const plan = join(s.dir, 'plans', 'restart');
    const made = pgharden(['plan', '--spec', spec, '--out', plan, '--skip-backup']);
    expect(made.code, made.stderr).toBe(0);

    // A consumer still on its old identity: the drain waits for it.
    const old = clientFrom(VPN_DEVICE, {
      host: '127.0.0.1',
      port: s.cluster.port,
      user: 'postgres',
      database: 'workspace',
      application_name: 'agents',
    });
    old.on('error', () => undefined);
    await old.connect();

    const apply = spawn(process.execPath, [CLI, 'apply', plan, '--yes'], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    apply.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    apply.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => apply.on('close', (code) => r(code)));
    for (let i = 0; i < 6000 && !stdout.includes('waiting up to 300 s for 1 session on postgres'); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(stdout).toContain('waiting up to 300 s for 1 session on postgres');

    const restart = spawnSync(
      join(install.bindir, 'pg_ctl'),
      ['restart', '-D', s.cluster.dataDir, '-m', 'fast', '-w', '-t', '120', '-l', s.cluster.logFile],
      { uid: s.cluster.uid, gid: s.cluster.gid, stdio: 'ignore' },
    );
    expect(restart.status).toBe(0);
    const code = await exited;
    await old.end().catch(() => undefined);

    expect(stderr).not.toMatch(/Unhandled|\n\s+at /);
    expect(code, stderr).toBe(1);
    expect(stderr).toContain(
      'apply stopped at consumers/agents/drain: The session on database postgres was lost (was the server restarted or the backend terminated?): FATAL 57P01: terminating connection due to administrator command',
    );
    expect(stderr).toContain(`run pgharden apply ${plan} again to resume`);
    expect(stderr).toContain(`pgharden rollback ${plan}`);

    const resumed = pgharden(['apply', plan, '--yes']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('Applied and verified');
  });
});
