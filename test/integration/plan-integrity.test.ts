/**
 * A plan is applied only as it was made: plan.json edited to make a new role SUPERUSER, with its
 * id recomputed the way pgharden computes it (canonical JSON + sha256), is refused by review,
 * apply, status and rollback (exit 3) because its keyed HMAC no longer matches; nothing changes.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical.js';
import type { Plan } from '../../src/plan/plan-types.js';
import { testedInstalls } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';
import {
  fileIdentity,
  makeStoryPlan,
  serverState,
  storyWithConsumers,
  type StoryPlanSetup,
} from '../support/story-plan.js';

describe.each(testedInstalls())('a re-signed edited plan on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  let planDir: string;

  beforeAll(async () => {
    s = await storyWithConsumers(install);
    planDir = makeStoryPlan(s, 'tampered');
  });
  afterAll(async () => {
    await s?.cleanup();
  });

  it('is refused by review, apply, status and rollback, and nothing changes', async () => {
    const file = join(planDir, 'plan.json');
    const plan = JSON.parse(readFileSync(file, 'utf8')) as Plan;
    const create = plan.steps.find((x) => x.id === 'roles/create-agents_app')!;
    if (create.forward.do !== 'sql') throw new Error('roles/create-agents_app is not SQL');
    create.forward.statements[0] = create.forward.statements[0]!.replace('NOSUPERUSER', 'SUPERUSER');
    const { id: _id, ...rest } = plan;
    const forged = { ...rest, id: createHash('sha256').update(canonicalJson(rest)).digest('hex') };
    writeFileSync(file, `${canonicalJson(forged)}\n`);

    const hba = s.cluster.hbaFile;
    const files = fileIdentity([hba, ...s.consumerFiles]);
    const state = await serverState(s);
    for (const args of [
      ['review', planDir, '--dsn', s.dsn],
      ['apply', planDir, '--yes'],
      ['status', planDir],
      ['rollback', planDir],
    ]) {
      const r = pgharden(args);
      expect(r.code, `${args[0]}: ${r.stdout}${r.stderr}`).toBe(3);
      expect(r.stderr).toContain('does not match its keyed signature');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(fileIdentity([hba, ...s.consumerFiles])).toEqual(files);
    expect(await serverState(s)).toEqual(state);
  });
});
