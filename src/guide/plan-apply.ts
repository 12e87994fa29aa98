/**
 * The guide from a written spec to a verified server: the plan, its review stage by stage (the
 * same text as `pgharden review`, the matrix before and after at its end), the apply with live
 * progress, the final screen, and the rollback offered on any failure.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  apply,
  checkBackupTools,
  parseSpec,
  plan as makePlan,
  reportText,
  review as reviewPlan,
  rollback,
  VERSION,
  type ConnectOptions,
} from '../index.js';
import { renderFinal } from '../render/guide-final.js';
import { paint, type Output } from '../render/output.js';
import { renderReview } from '../render/review-text.js';
import type { Prompter } from './questions.js';
import type { GuideState } from './resume.js';

/** Applies (or resumes applying) a reviewed plan, shows the final screen, offers the rollback on failure. */
export async function applyWithProgress(
  p: Prompter,
  o: Output,
  dir: string,
  state: GuideState,
  save: () => void,
): Promise<number> {
  state.planDir = dir;
  state.applying = true;
  save();
  const started = Date.now();
  const r = await apply(dir, {
    version: VERSION,
    log: (l) => o.out(`${l}  ${((Date.now() - started) / 1000).toFixed(1)} s`),
  });
  state.applying = false;
  save();
  if (r.outcome === 'applied') {
    o.out(renderFinal(r, dir, o));
    o.out(paint(o, 'green', 'Applied and verified.'));
    return 0;
  }
  o.out(await reportText(r.plan, r.steps));
  o.out(paint(o, 'red', `Apply stopped at ${r.stopped?.step}: ${r.stopped?.reason}`));
  if (await p.confirm({ message: 'Roll back everything now?', default: true })) {
    const back = await rollback(dir, (l) => o.out(l));
    o.out(
      `${back.restored.length} files restored, ${back.undone.length} steps undone${back.kept.length ? `; kept: ${back.kept.join('; ')}` : ''}.`,
    );
  } else {
    o.out(`Left as it is. Resume with pgharden apply ${dir}, or undo with pgharden rollback ${dir}.`);
  }
  return r.outcome === 'refused' ? 3 : 1;
}

/** Plans from the spec file, shows the review one stage at a time, and applies on a yes. */
export async function planReviewApply(
  p: Prompter,
  o: Output,
  o2: { specFile: string; connection: ConnectOptions; cwd: string; now: Date; major: number },
  state: GuideState,
  save: () => void,
): Promise<number> {
  const { specFile, connection, now } = o2;
  const base = join(o2.cwd, 'plans', `guide-${now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}`);
  let out = base;
  for (let n = 2; existsSync(out); n += 1) out = `${base}-${n}`;
  let skipBackup = false;
  try {
    await checkBackupTools(o2.major);
  } catch (err) {
    o.out(paint(o, 'yellow', (err as Error).message));
    if (
      !(await p.confirm({
        message: 'Go on without a verified backup? (recorded in the plan and the report)',
        default: false,
      }))
    ) {
      o.out(`Nothing was changed. Install the client tools, then: pgharden plan --spec ${specFile}`);
      return 0;
    }
    skipBackup = true;
  }
  const { dir } = await makePlan({
    spec: await parseSpec(readFileSync(specFile, 'utf8'), specFile),
    specFile,
    out,
    connection,
    version: VERSION,
    now,
    skipBackup,
  });
  if (!dir) {
    o.out(`Nothing to do: the cluster matches ${specFile}. No plan was written.`);
    return 0;
  }
  state.planDir = dir;
  save();
  const review = await reviewPlan(dir, connection);
  // The review, one stage at a time: each is confirmed before the next is shown.
  const text = review.redact(renderReview(review, o));
  const parts = text.split(/\n(?=\S*Stage \d\/6|\S*Restart required)/);
  for (const [i, part] of parts.entries()) {
    o.out(part);
    if (
      i > 0 &&
      i <= review.stages.length &&
      !(await p.confirm({ message: `Stage ${i}/${review.stages.length} looks right?`, default: true }))
    ) {
      o.out(
        `Nothing was changed. The plan is saved in ${dir}; edit ${specFile} and run pgharden plan --spec ${specFile} again.`,
      );
      return 0;
    }
  }
  if (
    !(await p.confirm({ message: `Apply the plan now? (rollback: ${review.plan.rollback.command})`, default: false }))
  ) {
    o.out(`Nothing was changed. When ready: pgharden apply ${dir}`);
    return 0;
  }
  return applyWithProgress(p, o, dir, state, save);
}
