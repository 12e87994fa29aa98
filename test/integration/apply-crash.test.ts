/**
 * Crash anywhere: apply is killed at the three points of every step (fault injection: after the
 * intent is recorded, after the action, after done is recorded), and at random instants (SIGKILL
 * from outside). From each kill both ways out are taken: apply again, which must end in the same
 * state as an uninterrupted run (files, roles, grants, settings), then rollback; and, from the same
 * kill on a fresh copy of the plan, rollback alone. A rollback must give back the original files
 * byte for byte with their mode and owner, the original role set, and passwordless access.
 *
 * One `it` per crash point, so a failure names its step and point. The kill needs a process of its
 * own (the fault is a SIGKILL, as in a power cut); the resume and the rollback that follow run in
 * this process through the public API, since a new process adds nothing to them but start-up time.
 *
 * Tiers (test/support/tier.ts): `npm test` kills once per step, at one of the three points, and
 * takes one of the two ways out (resume then rollback, or rollback alone), both rotated by the seed
 * it prints, so successive runs cover every pair; `npm run test:all` takes every point of every
 * step and both ways out on PostgreSQL 15, and one point per step with both ways on the other
 * majors (PGHARDEN_CRASH_FULL=1: every point on every major; 0: one point everywhere). The plans are made with --skip-backup, once, and copied for each run (a plan
 * directory may move): the verified backup's own kills are in backup-drill.test.ts.
 */
import { spawn } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, rollback, VERSION } from '../../src/index.js';
import { VPN_DEVICE } from '../../src/scratch/story.js';
import { probe } from '../../src/hba/probe.js';
import { testedInstalls } from '../support/cluster.js';
import { CLI, pgharden } from '../support/cli.js';
import { seededRandom } from '../support/match-gen.js';
import { fileIdentity, serverState, storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';
import { FULL_TIER, tierSize, TEST_SEED } from '../support/tier.js';

const SEED = TEST_SEED;
console.log(`apply-crash: crash points and random kills with seed ${SEED} (PGHARDEN_SEED=${SEED} repeats them)`);

const POINTS = ['intent', 'action', 'done'] as const;
const FULL_SWEEP_MAJOR = 15;
/** Random SIGKILLs per major. */
const RANDOM_KILLS = tierSize('PGHARDEN_RANDOM_KILLS', 2, 6);

type Route = 'resume' | 'rollback';
/** Both ways out of a kill, or (fast tier) one, alternating from step to step and rotated by the seed. */
const routesFor = (i: number): Route[] =>
  FULL_TIER ? ['resume', 'rollback'] : [(i + SEED) % 2 ? 'rollback' : 'resume'];

/** The crash points of one major: every point of every step, or one point per step rotated by the seed. */
function crashPoints(
  stepIds: readonly string[],
  full: boolean,
): { step: string; point: (typeof POINTS)[number]; routes: Route[] }[] {
  return stepIds.flatMap((step, i) =>
    full
      ? POINTS.map((point) => ({ step, point, routes: routesFor(i) }))
      : [{ step, point: POINTS[(i + SEED) % POINTS.length]!, routes: routesFor(i) }],
  );
}

describe.each(testedInstalls())('crash anywhere on PostgreSQL $major', async (install) => {
  const full =
    process.env.PGHARDEN_CRASH_FULL === '1' ||
    (process.env.PGHARDEN_CRASH_FULL !== '0' && FULL_TIER && install.major === FULL_SWEEP_MAJOR);
  // The plan is made while the tests are collected: its steps are the tests.
  const s: StoryPlanSetup = await storyWithConsumers(install);
  afterAll(async () => s.cleanup());
  const pristine = join(s.dir, 'pristine');
  const planned = pgharden(['plan', '--spec', s.spec, '--out', pristine, '--skip-backup']);
  if (planned.code !== 0) {
    await s.cleanup();
    throw new Error(`plan failed (${planned.code}): ${planned.stderr}`);
  }
  const stepIds = (
    JSON.parse(readFileSync(join(pristine, 'plan.json'), 'utf8')) as { steps: { id: string }[] }
  ).steps.map((x) => x.id);
  const touched = [
    s.cluster.hbaFile,
    s.cluster.confFile,
    join(s.cluster.dataDir, 'postgresql.auto.conf'),
    ...s.consumerFiles,
  ];
  let original: Record<string, string>;
  let originalState: Record<string, unknown>;
  let reference: { files: Record<string, string>; state: Record<string, unknown> };
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
  /** apply, in this process, as the CLI runs it: it must end applied and verified. */
  const resume = async (planDir: string, what: string) => {
    const log: string[] = [];
    const r = await apply(planDir, { version: VERSION, log: (l) => log.push(l) });
    expect(r.outcome, `${what}: ${r.stopped?.step ?? ''} ${r.stopped?.reason ?? ''}\n${log.join('\n')}`).toBe(
      'applied',
    );
  };
  /** rollback, in this process: nothing may be kept. */
  const revert = async (planDir: string, what: string) => {
    const log: string[] = [];
    const r = await rollback(planDir, (l) => log.push(l));
    expect(r.kept, `${what}\n${log.join('\n')}`).toEqual([]);
  };
  const killAt = (planDir: string, fault: string) => {
    const r = pgharden(['apply', planDir, '--yes'], { PGHARDEN_FAULT: fault });
    expect(r.code, `${fault} should have been killed: ${r.stderr}`).toBe(-1);
  };

  beforeAll(async () => {
    original = fileIdentity(touched);
    originalState = await serverState(s);
    const planDir = copyPlan('reference');
    const started = Date.now();
    const r = pgharden(['apply', planDir, '--yes']);
    expect(r.stderr, 'the uninterrupted apply').toBe('');
    expect(r.code, `the uninterrupted apply: ${r.stdout}`).toBe(0);
    applyMs = Date.now() - started;
    reference = { files: fileIdentity(touched), state: await serverState(s) };
    await revert(planDir, 'the reference rollback');
    await expectOriginal('the reference rollback');
  });

  it.for(crashPoints(stepIds, full))('after a kill at $step:$point: $routes', async ({ step, point, routes }) => {
    const fault = `${step}:${point}`;
    if (routes.includes('resume')) {
      const resumed = copyPlan('resume');
      killAt(resumed, fault);
      await resume(resumed, `resume after ${fault}`);
      await expectApplied(`resume after ${fault}`);
      await revert(resumed, `rollback after resuming from ${fault}`);
      await expectOriginal(`rollback after resuming from ${fault}`);
    }
    if (routes.includes('rollback')) {
      const reverted = copyPlan('rollback');
      killAt(reverted, fault);
      await revert(reverted, `rollback after ${fault}`);
      await expectOriginal(`rollback after ${fault}`);
    }
  });

  it.for(Array.from({ length: RANDOM_KILLS }, (_, k) => k))(
    'resumes and rolls back cleanly after SIGKILL at random instant %i',
    async (k) => {
      // Each instant has its own stream, so one test alone (-t) repeats its kill.
      const random = seededRandom(SEED + k);
      const planDir = copyPlan('sigkill');
      const child = spawn(process.execPath, [CLI, 'apply', planDir, '--yes'], { stdio: 'ignore' });
      // Listened for from the start: a run faster than the delay has exited before the kill.
      const exited = new Promise((r) => child.once('exit', r));
      const delay = Math.floor(random() * applyMs);
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await exited;
      const at = `SIGKILL at ${delay} ms (seed ${SEED + k})`;
      await resume(planDir, `resume after ${at}`);
      await expectApplied(`resume after ${at}`);
      await revert(planDir, `rollback after ${at}`);
      await expectOriginal(`rollback after ${at}`);
    },
  );
});
