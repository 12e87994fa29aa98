/**
 * A plan directory is written whole or not at all: every file is made in a temporary directory
 * beside the target (same file system), fsynced, and the directory is renamed into place. A full
 * disk, a quota or a permission error leaves no half plan behind (a torn plan.json would make the
 * next `plan` say "already holds a plan" and `review` say "edited"), and the error names the path.
 */
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fsyncDir } from '../core/atomic.js';
import type { Plan } from './plan-types.js';
import { PlanFileError, planFiles, refuseExistingPlan, SECRETS_FILE, writeNew } from './store.js';

const reason = (err: unknown) => (err as Error).message;

/** The names in a directory, or null when there is none. */
function entries(dir: string): string[] | null {
  try {
    return readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new PlanFileError(`Cannot use ${dir} for the plan: ${reason(err)}; choose another --out`);
  }
}

/** A file the plan directory holds beside the plan (e.g. tls/ca.crt), by its plan-relative name. */
export interface ExtraFile {
  name: string;
  bytes: Buffer;
  mode: number;
}

/** Writes `dir` with the plan's secrets (0600), plan.json, its HMAC, rollback.sh and `extra` files, atomically. */
export function writePlanDir(
  dir: string,
  plan: Plan,
  planKey: string,
  secretsText: string,
  extra: ExtraFile[] = [],
): void {
  finishPlanDir(dir, stagePlanDir(dir), plan, planKey, secretsText, extra);
}

/**
 * Checks that `dir` can take a plan and makes the temporary directory beside it where the plan is
 * assembled (a plan with files of its own, such as the TLS plan's certificates, makes them there);
 * `finishPlanDir` renames it into place, `discardStagedPlanDir` removes it.
 */
export function stagePlanDir(dir: string): string {
  refuseExistingPlan(dir);
  const target = resolve(dir);
  const parent = dirname(target);
  const there = entries(target);
  if (there?.length)
    throw new PlanFileError(
      `${dir} exists and is not empty (it holds ${there.slice(0, 3).join(', ')}${there.length > 3 ? ', …' : ''}, but no plan); choose another --out, or empty it`,
    );
  try {
    mkdirSync(parent, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new PlanFileError(`Cannot create ${parent} for the plan ${dir}: ${reason(err)}; nothing was saved`);
  }
  try {
    return mkdtempSync(join(parent, `.${basename(target)}.pgharden-`));
  } catch (err) {
    throw new PlanFileError(
      `Cannot create a temporary directory in ${parent} for the plan ${dir}: ${reason(err)}; nothing was saved`,
    );
  }
}

/** Removes a staged plan directory that will not be finished (the plan could not be made). */
export function discardStagedPlanDir(temp: string): void {
  rmSync(temp, { recursive: true, force: true });
}

/**
 * Writes the secrets, plan files and `extra` files into the staged directory `temp`, fsyncs it and
 * renames it to `dir`.
 */
export function finishPlanDir(
  dir: string,
  temp: string,
  plan: Plan,
  planKey: string,
  secretsText: string,
  extra: ExtraFile[] = [],
): void {
  const target = resolve(dir);
  const parent = dirname(target);
  let writing = temp;
  try {
    const files = [{ name: SECRETS_FILE, text: secretsText, mode: 0o600 }, ...planFiles(plan, planKey)];
    for (const f of files) {
      writing = join(temp, f.name);
      writeNew(writing, f.text, f.mode);
    }
    for (const f of extra) {
      writing = join(temp, f.name);
      mkdirSync(dirname(writing), { recursive: true, mode: 0o700 });
      writeNew(writing, f.bytes, f.mode);
    }
    writing = temp;
    fsyncDir(temp);
    writing = dir;
    // An empty directory made beforehand (e.g. by a configuration tool) gives way to the plan.
    if (entries(target)) rmdirSync(target);
    renameSync(temp, target);
    fsyncDir(parent);
  } catch (err) {
    discardStagedPlanDir(temp);
    throw new PlanFileError(
      `Cannot write ${writing === dir ? dir : `${writing} (the plan ${dir}, being made in ${temp})`}: ${reason(err)}. Nothing was saved and no plan directory was left; free space or choose another --out, then run pgharden plan again`,
    );
  }
}
