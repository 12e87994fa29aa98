/**
 * A trusted range this host has no address in (the README's 10.8.0.0/24): the probes that must
 * leave from it are reported as skipped, with why, never failed and never passed; apply goes on,
 * and the report says what was and was not proven.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VPN_RANGE } from '../../src/cluster/story.js';
import { testedInstalls } from '../helpers/cluster.js';
import { pgharden } from '../helpers/cli.js';
import { storyWithConsumers, makeStoryPlan, type StoryPlanSetup } from '../helpers/story-plan.js';

describe.each(testedInstalls())('probes from a range this host has no address in, on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  beforeAll(async () => {
    s = await storyWithConsumers(install);
  });
  afterAll(async () => s?.cleanup());

  it('are skipped with why, and apply does not fail on them', () => {
    const spec = readFileSync(s.spec, 'utf8').replace(`trustedRanges: [${VPN_RANGE}]`, `trustedRanges: [10.8.0.0/24, ${VPN_RANGE}]`);
    s.spec = join(s.dir, 'vpn10.yaml');
    writeFileSync(s.spec, spec);
    const plan = makeStoryPlan(s, 'vpn10');
    const r = pgharden(['apply', plan, '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = readFileSync(join(plan, 'report.txt'), 'utf8');
    expect(report).toMatch(/skip {2}.*from 10\.8\.0\.1.*\(got skipped: this host has no address in 10\.8\.0\.0\/24/);
    expect(report).not.toMatch(/FAIL/);
    expect(report).toContain('not proven:');
    expect(pgharden(['rollback', plan]).code).toBe(0);
  });
});
