/**
 * A trusted range this host has no address in (the README's 10.8.0.0/24): the probes that must
 * leave from it are reported as skipped, with why, never failed and never passed; apply goes on,
 * and the report says what was and was not proven.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VPN_RANGE } from '../../src/scratch/story.js';
import { testedInstalls } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';
import { storyWithConsumers, makeStoryPlan, type StoryPlanSetup } from '../support/story-plan.js';

describe.each(testedInstalls())('probes from a range this host has no address in, on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  let spec: string;
  beforeAll(async () => {
    s = await storyWithConsumers(install);
    spec = readFileSync(s.spec, 'utf8');
  });
  afterAll(async () => s?.cleanup());

  // 10.8.0.0/24: no address of this host is in it. fd00::/64: this host may have one (an IPv6
  // address), but it cannot reach the server at 127.0.0.1 (EINVAL): skipped, not failed.
  it.each([
    ['10.8.0.0/24', '10.8.0.1'],
    ['fd00::/64', 'fd00::1'],
  ])('from %s are skipped with why, and apply does not fail on them', (range, sample) => {
    const name = `vpn-${range.replace(/\W+/g, '-')}`;
    s.spec = join(s.dir, `${name}.yaml`);
    writeFileSync(s.spec, spec.replace(`trustedRanges: [${VPN_RANGE}]`, `trustedRanges: ["${range}", ${VPN_RANGE}]`));
    const plan = makeStoryPlan(s, name);
    const r = pgharden(['apply', plan, '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = readFileSync(join(plan, 'report.txt'), 'utf8');
    expect(report).toContain(
      `from ${sample}, no password → password-required (got skipped: this host has no address in ${range} that can reach 127.0.0.1`,
    );
    expect(report).not.toMatch(/FAIL/);
    expect(report).toContain('not proven:');
    expect(pgharden(['rollback', plan]).code).toBe(0);
  });
});
