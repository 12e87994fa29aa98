/**
 * The guide's last screen after an apply: the negative tests as the server answered them (the
 * verify stage's checks, each with the answer), the totals, and the rollback line.
 */
import { join } from 'node:path';
import type { ApplyResult } from '../index.js';
import { paint, type Output } from './output.js';

export function renderFinal(r: ApplyResult, dir: string, o: Output): string {
  const all = r.steps.flatMap((s) => s.results);
  const verify = r.steps.filter((s) => s.stage === 'verify').flatMap((s) => s.results);
  const count = (k: string) => all.filter((x) => x.outcome === k).length;
  const mark = (k: string) =>
    k === 'pass' ? paint(o, 'green', 'pass') : k === 'fail' ? paint(o, 'red', 'FAIL') : 'skip';
  return [
    '',
    paint(o, 'bold', 'What the server answered (the negative tests of the verify stage)'),
    ...verify.map((x) => `  ${mark(x.outcome)}  ${x.description}  [server: ${x.got}]`),
    '',
    ...(r.plan.backup.skipped
      ? [paint(o, 'red', 'WARNING: NO VERIFIED BACKUP was taken before this change (you chose to go on without one)')]
      : []),
    `${count('pass')} checks passed, ${count('fail')} failed, ${count('skipped')} skipped; the full report is ${join(dir, 'report.txt')}`,
    paint(o, 'bold', `Rollback: ${r.plan.rollback.command}`),
  ].join('\n');
}
