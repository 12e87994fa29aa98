/**
 * `pgharden plan` and `review` of a 100,000-line pg_hba.conf: both finish (they crashed with
 * "Maximum call stack size exceeded" when the review spread a diff's lines into one call), the
 * text review cuts each diff after MAX_DIFF_LINES lines and says how many more there are and how
 * to see them all, and --json keeps every line. Time and peak RSS are measured with
 * /usr/bin/time -v and printed.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DIFF_LINES } from '../../src/render/review-text.js';
import { STORY_HBA } from '../../src/scratch/story.js';
import { testedInstalls } from '../support/cluster.js';
import { CLI } from '../support/cli.js';
import { storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';

const RULES = 100_000;

/** pgharden under /usr/bin/time -v: its output, exit code, wall time (s) and peak RSS (MB). */
function timed(args: string[]) {
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 1 << 28,
  });
  const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1]) / 1024;
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
  const seconds = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : Number.NaN;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, rss, seconds };
}

describe.each(testedInstalls())('plan and review of a 100,000-line pg_hba.conf on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  beforeAll(async () => {
    s = await storyWithConsumers(install);
    const st = statSync(s.cluster.hbaFile);
    const rules: string[] = [];
    for (let i = 0; i < RULES; i++)
      rules.push(`host    db${i % 50}   app${i % 90}   10.${(i >> 8) & 255}.${i & 255}.0/24   trust\n`);
    writeFileSync(s.cluster.hbaFile, STORY_HBA + rules.join(''));
    chownSync(s.cluster.hbaFile, st.uid, st.gid);
  });
  afterAll(async () => s?.cleanup());

  it('plans and reviews in bounded output, naming how many diff lines are left out and where they are', () => {
    const out = join(s.dir, 'plans', 'large');
    const plan = timed(['plan', '--spec', s.spec, '--out', out, '--skip-backup']);
    console.log(`plan of ${RULES} rules: ${plan.seconds} s, peak RSS ${plan.rss.toFixed(0)} MB`);
    expect(plan.stderr).not.toContain('Maximum call stack');
    expect(plan.code, plan.stderr.slice(-2000)).toBe(0);
    expect(existsSync(join(out, 'plan.json'))).toBe(true);

    const review = timed(['review', out]);
    console.log(`review of ${RULES} rules: ${review.seconds} s, peak RSS ${review.rss.toFixed(0)} MB`);
    expect(review.code, review.stderr.slice(-2000)).toBe(0);
    expect(review.stdout).toBe(plan.stdout);
    const elided = [
      ...review.stdout.matchAll(
        /^ {6}… ([\d,]+) more lines of this diff not shown; the full diff: pgharden review (\S+) --json \| jq -r '\.diffs\[(\d+)\]\.diff'$/gm,
      ),
    ];
    expect(elided.length).toBeGreaterThan(0);
    // The flip rewrites every trust line: its diff alone has more than the rules.
    expect(Math.max(...elided.map((m) => Number(m[1]!.replaceAll(',', ''))))).toBeGreaterThan(RULES);
    expect(review.stdout.split('\n').length).toBeLessThan(elided.length * MAX_DIFF_LINES + 2000);
    expect(review.rss).toBeLessThan(1024);

    // Where the text points: --json has the whole diff, exactly as many lines as were shown and left out.
    const json = timed(['review', out, '--json']);
    console.log(`review --json of ${RULES} rules: ${json.seconds} s, peak RSS ${json.rss.toFixed(0)} MB`);
    expect(json.code).toBe(0);
    const diffs = (JSON.parse(json.stdout) as { diffs: { diff: string }[] }).diffs;
    for (const m of elided) {
      expect(m[2]).toBe(out);
      const lines = diffs[Number(m[3])]!.diff.trimEnd().split('\n').length;
      expect(lines).toBe(MAX_DIFF_LINES + Number(m[1]!.replaceAll(',', '')));
    }
    // Three runs over 100,000 rules: 50 s on a quiet machine, over 120 s when the machine is shared.
  });
});
