/**
 * Crash anywhere: apply is killed at the three points of every step (fault injection: after the
 * intent is recorded, after the action, after done is recorded), and at random instants (SIGKILL
 * from outside). From each kill both ways out are taken: apply again, which must end in the same
 * state as an uninterrupted run (files, roles, grants, settings), then rollback; and, from the same
 * kill on a fresh copy of the plan, rollback alone. A rollback must give back the original files
 * byte for byte with their mode and owner, the original role set, and passwordless access.
 *
 * Cost (the whole suite runs on 2 cores): PostgreSQL 15 gets the full sweep, every step × 3
 * points × 2 ways out; the other majors one point per step (intent, action, done in turn), both
 * ways out (PGHARDEN_CRASH_FULL=1: the full sweep on every major; 0: one point per step on every
 * major). Measured on a shared 2-core machine (load 6 to 12): the file took 10 to 18 min on 15,
 * about 5 min on 18. The plans are made with
 * --skip-backup, once, and copied for each run (a plan directory may move): the verified backup's
 * own kills, during the dumps and the restore drill, are in backup-drill.test.ts.
 */
import { spawn } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VPN_DEVICE } from '../../src/scratch/story.js';
import { probe } from '../../src/hba/probe.js';
import { testedInstalls } from '../support/cluster.js';
import { CLI, pgharden } from '../support/cli.js';
import { seededRandom } from '../support/match-gen.js';
import { fileIdentity, serverState, storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';

const SEED = Number(process.env.PGHARDEN_SEED ?? (process.env.CI ? 20261122 : Date.now() % 1_000_000));
console.log(`apply-crash: random kills with seed ${SEED} (PGHARDEN_SEED=${SEED} repeats them)`);

const POINTS = ['intent', 'action', 'done'] as const;
const FULL_SWEEP_MAJOR = 15;

describe.each(testedInstalls())('crash anywhere on PostgreSQL $major', (install) => {
  const full =
    process.env.PGHARDEN_CRASH_FULL === '1' ||
    (process.env.PGHARDEN_CRASH_FULL !== '0' && install.major === FULL_SWEEP_MAJOR);
  let s: StoryPlanSetup;
  let touched: string[];
  let pristine: string;
  let original: Record<string, string>;
  let originalState: Record<string, unknown>;
  let reference: { files: Record<string, string>; state: Record<string, unknown> };
  let stepIds: string[];
  let applyMs: number;
  let n = 0;

  /** A fresh copy of the one plan: same secrets, so an applied copy ends byte for byte like the reference. */
  const copyPlan = (name: string) => {
    const dir = join(s.dir, 'plans', `${name}-${n++}`);
    cpSync(pristine, dir, { recursive: true });
    return dir;
  };
  const expectOriginal = async (after: string) => {
    expect(fileIdentity(touched), `files after ${after}`).toEqual(original);
    expect(await serverState(s), `server after ${after}`).toEqual(originalState);
    expect(
      await probe({
        host: '127.0.0.1',
        port: s.cluster.port,
        localAddress: VPN_DEVICE,
        user: 'postgres',
        database: 'workspace',
      }),
      `passwordless after ${after}`,
    ).toEqual({ kind: 'ok' });
  };
  const expectApplied = async (after: string) => {
    expect(fileIdentity(touched), `files after ${after}`).toEqual(reference.files);
    expect(await serverState(s), `server after ${after}`).toEqual(reference.state);
  };
  const run = (args: string[], what: string, env: NodeJS.ProcessEnv = {}) => {
    const r = pgharden(args, env);
    expect(r.stderr, what).toBe('');
    expect(r.code, `${what}: ${r.stdout}`).toBe(0);
  };
  const killAt = (planDir: string, fault: string) => {
    const r = pgharden(['apply', planDir, '--yes'], { PGHARDEN_FAULT: fault });
    expect(r.code, `${fault} should have been killed: ${r.stderr}`).toBe(-1);
  };

  beforeAll(async () => {
    s = await storyWithConsumers(install);
    touched = [
      s.cluster.hbaFile,
      s.cluster.confFile,
      join(s.cluster.dataDir, 'postgresql.auto.conf'),
      ...s.consumerFiles,
    ];
    original = fileIdentity(touched);
    originalState = await serverState(s);
    pristine = join(s.dir, 'pristine');
    const planned = pgharden(['plan', '--spec', s.spec, '--out', pristine, '--skip-backup']);
    if (planned.code !== 0) throw new Error(`plan failed (${planned.code}): ${planned.stderr}`);
    const planDir = copyPlan('reference');
    const started = Date.now();
    run(['apply', planDir, '--yes'], 'the uninterrupted apply');
    applyMs = Date.now() - started;
    reference = { files: fileIdentity(touched), state: await serverState(s) };
    stepIds = (JSON.parse(readFileSync(join(planDir, 'plan.json'), 'utf8')) as { steps: { id: string }[] }).steps.map(
      (x) => x.id,
    );
    run(['rollback', planDir], 'the reference rollback');
    await expectOriginal('the reference rollback');
  }, 300_000);
  afterAll(async () => s?.cleanup());

  it(`resumes and rolls back cleanly after a kill at ${full ? 'each of the three points' : 'one point'} of every step`, async () => {
    for (const [i, id] of stepIds.entries()) {
      for (const point of full ? POINTS : [POINTS[i % 3]!]) {
        const fault = `${id}:${point}`;
        const resumed = copyPlan('resume');
        killAt(resumed, fault);
        run(['apply', resumed, '--yes'], `resume after ${fault}`);
        await expectApplied(`resume after ${fault}`);
        run(['rollback', resumed], `rollback after resuming from ${fault}`);
        await expectOriginal(`rollback after resuming from ${fault}`);

        const reverted = copyPlan('rollback');
        killAt(reverted, fault);
        run(['rollback', reverted], `rollback after ${fault}`);
        await expectOriginal(`rollback after ${fault}`);
      }
    }
  }, 1_800_000);

  it('resumes and rolls back cleanly after SIGKILL at random instants', async () => {
    const random = seededRandom(SEED);
    for (let k = 0; k < 6; k++) {
      const planDir = copyPlan('sigkill');
      const child = spawn(process.execPath, [CLI, 'apply', planDir, '--yes'], { stdio: 'ignore' });
      // Listened for from the start: a run faster than the delay has exited before the kill.
      const exited = new Promise((r) => child.once('exit', r));
      const delay = Math.floor(random() * applyMs);
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await exited;
      const at = `SIGKILL at ${delay} ms (seed ${SEED})`;
      run(['apply', planDir, '--yes'], `resume after ${at}`);
      await expectApplied(`resume after ${at}`);
      run(['rollback', planDir], `rollback after ${at}`);
      await expectOriginal(`rollback after ${at}`);
    }
  }, 600_000);
});
