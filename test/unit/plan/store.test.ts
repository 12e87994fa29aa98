import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/core/canonical.js';
import { buildPlan } from '../../../src/plan/planner.js';
import { newPlanKey, newSecrets, secretsText, writeSecrets } from '../../../src/plan/secrets.js';
import {
  createPlanDir,
  loadPlan,
  type PlanFileError,
  savePlan,
  SECRETS_FILE,
  SIGNATURE_FILE,
} from '../../../src/plan/store.js';
import type { Plan } from '../../../src/plan/plan-types.js';
import { storyInput } from './fixtures.js';
import { caught } from '../../support/caught.js';

const root = mkdtempSync(join(tmpdir(), 'pgharden-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function saved(name: string): Promise<string> {
  const dir = join(root, name);
  const plan = buildPlan(await storyInput({ planDir: dir, name }));
  const key = newPlanKey();
  createPlanDir(dir);
  writeSecrets(join(dir, SECRETS_FILE), secretsText(newSecrets(['agents_app']), key));
  savePlan(dir, plan, key);
  return dir;
}

const refusal = (f: () => unknown) => caught<PlanFileError>(f);

describe('plan integrity', () => {
  it('loads a plan as saved, and refuses one edited and given a recomputed id (exit 3)', async () => {
    const dir = await saved('edited');
    expect(loadPlan(dir).name).toBe('edited');
    const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as Plan;
    plan.trustedRanges = ['0.0.0.0/0'];
    const { id: _id, ...rest } = plan;
    writeFileSync(
      join(dir, 'plan.json'),
      `${canonicalJson({ ...rest, id: createHash('sha256').update(canonicalJson(rest)).digest('hex') })}\n`,
    );
    expect(refusal(() => loadPlan(dir))).toMatchObject({
      refused: true,
      message: expect.stringContaining('does not match its keyed signature'),
    });
  });

  it('refuses a plan whose signature or key is gone, except for rollback without the key', async () => {
    const dir = await saved('unsigned');
    unlinkSync(join(dir, SIGNATURE_FILE));
    expect(refusal(() => loadPlan(dir))?.refused).toBe(true);
    const keyless = await saved('keyless');
    unlinkSync(join(keyless, SECRETS_FILE));
    expect(refusal(() => loadPlan(keyless))?.message).toMatch(/secrets is missing or holds no plan key/);
    expect(loadPlan(keyless, { keyOptional: true }).name).toBe('keyless');
  });

  it('sees a moved plan from where it is now', async () => {
    const dir = await saved('before');
    renameSync(dir, join(root, 'after'));
    const plan = loadPlan(join(root, 'after'));
    expect(plan.rollback.command).toBe(`pgharden rollback ${join(root, 'after')}`);
    expect(JSON.stringify(plan)).not.toContain(`${dir}/`);
    const backup = plan.steps.find((s) => s.id === 'preflight/backup')!;
    expect(backup.after.every((a) => a.of !== 'file' || a.path.startsWith(join(root, 'after', 'backup')))).toBe(true);
  });
});
