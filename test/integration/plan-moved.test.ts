/**
 * A plan directory that was renamed still works from where it is now: review finds no drift,
 * apply prints the rollback line with the new path, and both `pgharden rollback` and the
 * shell fallback `rollback.sh` (run from another directory) put the files back.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testedInstalls } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';
import { fileIdentity, makeStoryPlan, storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';

describe.each(testedInstalls())('a renamed plan directory on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  let moved: string;

  beforeAll(async () => {
    s = await storyWithConsumers(install);
    const made = makeStoryPlan(s, 'made-here');
    moved = join(s.dir, 'plans', 'moved-there');
    renameSync(made, moved);
  });
  afterAll(async () => s?.cleanup());

  it('reviews, applies and rolls back from its new place', () => {
    const files = [s.cluster.hbaFile, ...s.consumerFiles];
    const original = fileIdentity(files);
    const review = pgharden(['review', moved, '--dsn', s.dsn]);
    expect(review.code, review.stdout + review.stderr).toBe(0);
    expect(review.stdout).not.toContain(join(s.dir, 'plans', 'made-here'));

    const applied = pgharden(['apply', moved, '--yes']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`Rollback, ready now:  pgharden rollback ${moved}\n`);
    expect(applied.stdout).not.toContain(join(s.dir, 'plans', 'made-here'));
    expect(fileIdentity(files)).not.toEqual(original);

    execFileSync('sh', [join(moved, 'rollback.sh')], { cwd: '/' });
    expect(fileIdentity(files)).toEqual(original);
    const back = pgharden(['rollback', moved]);
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect(readFileSync(s.cluster.hbaFile, 'utf8')).not.toContain('pgharden');
  });
});
