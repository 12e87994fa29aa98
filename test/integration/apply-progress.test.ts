/**
 * Progress while apply waits: a consumer's old session held open keeps the drain gate waiting,
 * and apply says so as it waits, in plain lines that update (the number of sessions, the role,
 * the time waited of the time allowed); under --json those lines go to stderr and stdout stays
 * one JSON document. The session ends, and apply goes on to a verified end.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFrom } from '../../src/connect/from-address.js';
import { VPN_DEVICE } from '../../src/scratch/story.js';
import { testedInstalls } from '../support/cluster.js';
import { CLI, pgharden } from '../support/cli.js';
import { consumerSpec, storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';

describe.each(testedInstalls())('progress of a drain during apply on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  beforeAll(async () => {
    s = await storyWithConsumers(install);
  });
  afterAll(async () => s?.cleanup());

  it('says how many sessions of which role it waits for and for how long, then finishes when they end', async () => {
    const spec = consumerSpec(s, 'progress', [
      '{ name: agents, file: agents.env, key: DATABASE_URL, role: agents_app, application: agents, drainTimeout: 300 }',
    ]);
    const plan = join(s.dir, 'plans', 'progress');
    const made = pgharden(['plan', '--spec', spec, '--out', plan, '--skip-backup']);
    expect(made.code, made.stderr).toBe(0);

    const old = clientFrom(VPN_DEVICE, {
      host: '127.0.0.1',
      port: s.cluster.port,
      user: 'postgres',
      database: 'workspace',
      application_name: 'agents',
    });
    old.on('error', () => undefined);
    await old.connect();

    const apply = spawn(process.execPath, [CLI, 'apply', plan, '--yes', '--json'], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    apply.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    apply.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => apply.on('close', (code) => r(code)));
    // The first progress tick comes 10 s into the wait; the session is held until two have come.
    const ticks = () =>
      stderr.match(
        /still waiting for 1 session on postgres to end … (\d+) s of 5 min 0 s: pid \d+ \(agents from [\d.]+, since [\d:]+\)/g,
      ) ?? [];
    for (let i = 0; i < 3000 && ticks().length < 2 && apply.exitCode === null; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toContain('waiting up to 300 s for 1 session on postgres');
    const seconds = ticks().map((t) => Number(/… (\d+) s/.exec(t)![1]));
    expect(seconds.length, stderr).toBe(2);
    expect(seconds[0]).toBeGreaterThanOrEqual(10);
    expect(seconds[1]).toBeGreaterThanOrEqual(seconds[0]! + 10);
    expect(stdout).toBe('');

    await old.end();
    const code = await exited;
    expect(code, stderr).toBe(0);
    const r = JSON.parse(stdout) as { outcome: string; steps: { id: string; outcome: string }[] };
    expect(r.outcome).toBe('applied');
    expect(r.steps.find((x) => x.id === 'consumers/agents/drain')?.outcome).toBe('done');
  });
});
