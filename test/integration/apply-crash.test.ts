/**
 * Crash anywhere: apply is killed at every step boundary (fault injection: after the intent is
 * recorded, after the action, after done is recorded) and at random instants (SIGKILL from
 * outside). Then either apply again, which must end in the same state as an uninterrupted run
 * (files, roles, grants, settings), or rollback, which must give back the original files byte
 * for byte with their mode and owner, the original role set, and passwordless access.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VPN_DEVICE } from '../../src/scratch/story.js';
import { probe } from '../../src/hba/probe.js';
import { testedInstalls } from '../helpers/cluster.js';
import { CLI, pgharden } from '../helpers/cli.js';
import { fileIdentity, makeStoryPlan, serverState, storyWithConsumers, type StoryPlanSetup } from '../helpers/story-plan.js';
import { seededRandom } from '../helpers/match-gen.js';

const SEED = Number(process.env.PGHARDEN_SEED ?? (process.env.CI ? 20261122 : Date.now() % 1_000_000));

describe.each(testedInstalls())('crash anywhere on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  let touched: string[];
  let original: Record<string, string>;
  let originalState: Record<string, unknown>;
  let reference: { files: Record<string, string>; state: Record<string, unknown> };
  let stepIds: string[];
  let n = 0;

  /** Touched files, with each plan's generated password masked (plans differ only there). */
  const endFiles = (planDir: string) => {
    const secrets = Object.values((JSON.parse(readFileSync(join(planDir, 'secrets'), 'utf8')) as { roles: Record<string, { password: string }> }).roles);
    return Object.fromEntries(touched.map((p) => {
      let text = readFileSync(p, 'utf8');
      for (const x of secrets) text = text.replaceAll(x.password, '<pw>');
      return [p, `${text}\n${fileIdentity([p])[p]!.split(' ').slice(1).join(' ')}`];
    }));
  };
  const expectOriginal = async () => {
    expect(fileIdentity(touched)).toEqual(original);
    expect(await serverState(s)).toEqual(originalState);
    expect(await probe({ host: '127.0.0.1', port: s.cluster.port, localAddress: VPN_DEVICE, user: 'postgres', database: 'workspace' })).toEqual({ kind: 'ok' });
  };
  const expectApplied = async (planDir: string) => {
    expect(endFiles(planDir)).toEqual(reference.files);
    expect(await serverState(s)).toEqual(reference.state);
  };
  const rollback = (planDir: string) => {
    const r = pgharden(['rollback', planDir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  };

  beforeAll(async () => {
    s = await storyWithConsumers(install);
    touched = [s.cluster.hbaFile, s.cluster.confFile, join(s.cluster.dataDir, 'postgresql.auto.conf'), ...s.consumerFiles];
    original = fileIdentity(touched);
    originalState = await serverState(s);
    const planDir = makeStoryPlan(s, 'reference');
    const r = pgharden(['apply', planDir, '--yes']);
    if (r.code !== 0) throw new Error(r.stderr);
    reference = { files: endFiles(planDir), state: await serverState(s) };
    stepIds = (JSON.parse(readFileSync(join(planDir, 'plan.json'), 'utf8')) as { steps: { id: string }[] }).steps.map((x) => x.id);
    rollback(planDir);
  }, 300_000);
  afterAll(async () => s?.cleanup());

  it('resumes or rolls back cleanly after a kill at every step boundary', async () => {
    const points = ['intent', 'action', 'done'] as const;
    for (const [i, id] of stepIds.entries()) {
      const point = points[i % 3]!;
      const planDir = makeStoryPlan(s, `fault-${n++}`);
      const killed = pgharden(['apply', planDir, '--yes'], { PGHARDEN_FAULT: `${id}:${point}` });
      expect(killed.code, `${id}:${point} should have been killed`).toBe(-1);
      if (i % 2 === 0) {
        const resumed = pgharden(['apply', planDir, '--yes']);
        expect(resumed.stderr, `resume after ${id}:${point}`).toBe('');
        expect(resumed.code).toBe(0);
        await expectApplied(planDir);
      }
      rollback(planDir);
      await expectOriginal();
    }
  }, 600_000);

  it('resumes or rolls back cleanly after SIGKILL at random instants', async () => {
    const random = seededRandom(SEED);
    for (let k = 0; k < 6; k++) {
      const planDir = makeStoryPlan(s, `sigkill-${n++}`);
      const child = spawn(process.execPath, [CLI, 'apply', planDir, '--yes'], { stdio: 'ignore' });
      const delay = Math.floor(random() * 500);
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      if (k % 2 === 0) {
        const resumed = pgharden(['apply', planDir, '--yes']);
        expect(resumed.code, `resume after SIGKILL at ${delay} ms (seed ${SEED}): ${resumed.stderr}`).toBe(0);
        await expectApplied(planDir);
      }
      rollback(planDir);
      await expectOriginal();
    }
  }, 600_000);
});
