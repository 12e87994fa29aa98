import { applyPatch, createTwoFilesPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { unifiedEditDiff } from '../../../src/plan/line-diff.js';
import { buildPlan } from '../../../src/plan/planner.js';
import { STORY_HBA } from '../../../src/cluster/story.js';
import { storyInput } from './fixtures.js';

const jsdiff = (a: string, b: string) => createTwoFilesPatch('/f', '/f', a, b, 'now', 'after', { context: 3 });
const ours = (a: string, b: string) => unifiedEditDiff('/f', a, b, 'now', 'after');

describe('unifiedEditDiff', () => {
  it('prints what the generic diff prints for pgharden\'s own edits', async () => {
    const plan = buildPlan(await storyInput());
    const content = (id: string) => { const f = plan.steps.find((s) => s.id === id)!.forward; return f.do === 'write-file' ? f.content : ''; };
    expect(ours(STORY_HBA, content('canary/hba'))).toBe(jsdiff(STORY_HBA, content('canary/hba')));
    expect(ours(content('canary/hba'), content('flip/hba'))).toBe(jsdiff(content('canary/hba'), content('flip/hba')));
  });

  it.each([
    ['', 'a\n'], ['a\n', ''], ['a\nb\n', 'a\nb'], ['a', 'a\n'], ['x\n', 'y\n'],
    ['1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n', '0\n1\n2\n3\nfour\n5\n6\n7\n8\n9\n10\n11\n12\n13\n'],
    ['a\nb\na\nb\n', 'b\na\nb\na\n'],
  ])('gives a diff that turns %j into %j', (a, b) => {
    expect(applyPatch(a, ours(a, b))).toBe(b);
  });

  it('stays correct on random edits and is linear on 50,000 changed lines', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 48271) % 2147483647), Math.floor((seed / 2147483647) * n));
    for (let t = 0; t < 200; t++) {
      const a = Array.from({ length: rnd(30) }, () => `l${rnd(6)}`);
      const b = a.flatMap((l) => [[], [l], [l], [`n${rnd(4)}`], [l, `n${rnd(3)}`], [`n${rnd(3)}`, l]][rnd(6)]!);
      const [x, y] = [a.join('\n') + (rnd(2) ? '\n' : ''), b.join('\n') + (rnd(2) ? '\n' : '')];
      expect(applyPatch(x, ours(x, y)), JSON.stringify([x, y])).toBe(y);
    }
    const big = Array.from({ length: 50_000 }, (_, i) => `host db${i} app 10.0.${i % 256}.1/32 trust\n`).join('');
    // Linear: a generic diff needs minutes here, which the test's timeout catches without timing a
    // shared machine; bench/plan-large.mjs measures the time.
    const d = ours(big, big.replaceAll('trust\n', 'scram-sha-256  # pgharden: was trust\n'));
    expect(d.split('\n').filter((l) => l.startsWith('+host')).length).toBe(50_000);
  }, 30_000);
});
