/**
 * A plan directory is a program pgharden runs as root: plan.json's SQL and paths, rollback.sh, the
 * backups it writes back over pg_hba.conf, the journal that says what to undo. So before `review`,
 * `apply`, `status` or `rollback` reads one, the directory, everything in it and every directory
 * above it must be beyond other users' reach (core/trusted-path.ts). One exception, by design: a
 * saved copy in backup/ keeps the owner and mode of the file it saved (rollback puts them back),
 * which is no wider than that file itself; it is accepted when they are exactly what the plan
 * recorded for that file.
 */
import { lstatSync, readdirSync, realpathSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { RefusedError } from '../core/errors.js';
import { ancestorProblems, describeUntrusted, othersMayWrite, type UntrustedPath } from '../core/trusted-path.js';
import type { FileBinding } from './binding.js';
import { backupPath } from './stage-network.js';

/** A plan directory others could have changed: every such path, with its owner, mode and fix. */
export class UntrustedPlanDirError extends RefusedError {
  constructor(
    readonly dir: string,
    readonly problems: UntrustedPath[],
  ) {
    super(
      `Refusing to use ${dir}: pgharden runs and restores what a plan directory holds as root (its SQL, rollback.sh, the backups it writes back), and other users could have changed ${problems.length === 1 ? 'this path' : `these ${problems.length} paths`}:\n${problems.map((p) => `  ${describeUntrusted(p)}`).join('\n')}\nNothing was changed. Check that what they hold is what pgharden wrote (or make a new plan in a directory only you can write), fix them as shown, then run the command again.`,
    );
  }
}

/** Saved copies whose owner or mode are not root's or the invoking user's: judged against the plan. */
export interface SavedCopies {
  dir: string;
  copies: { rel: string; st: Stats; problem: UntrustedPath }[];
}

function walk(dir: string, rel: string, problems: UntrustedPath[], saved: SavedCopies['copies']): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const r = rel ? `${rel}/${name}` : name;
    // Gone between readdir and lstat (a lock file released by a run that just ended): nothing to judge.
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st) continue;
    const p = othersMayWrite(path, st);
    if (p && rel === 'backup' && st.isFile()) saved.push({ rel: r, st, problem: p });
    else if (p) problems.push(p);
    if (st.isDirectory()) walk(path, r, problems, saved);
  }
}

/**
 * Refuses a plan directory that it, an entry in it or a directory above it can be written by
 * others (exit 3, every path listed). Returns the saved copies to judge once the plan is read.
 */
export function refuseUntrustedPlanDir(dir: string): SavedCopies {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    // No such directory: loading the plan says so.
    return { dir, copies: [] };
  }
  const problems = ancestorProblems(dir);
  const top = othersMayWrite(real, lstatSync(real));
  if (top) problems.push(top);
  const saved: SavedCopies['copies'] = [];
  if (lstatSync(real).isDirectory()) walk(real, '', problems, saved);
  if (problems.length) throw new UntrustedPlanDirError(dir, problems);
  return { dir, copies: saved };
}

/** Refuses a saved copy that carries an owner or mode other than the ones the plan recorded for its file. */
export function refuseForeignSavedCopies(saved: SavedCopies, files: readonly FileBinding[]): void {
  const bad = saved.copies.filter(({ rel, st }) => {
    const f = files.find((x) => x.sha256 !== null && backupPath(files, x.path) === rel);
    return !f || f.uid !== st.uid || f.gid !== st.gid || f.mode !== (st.mode & 0o7777);
  });
  if (bad.length)
    throw new UntrustedPlanDirError(
      saved.dir,
      bad.map((b) => b.problem),
    );
}
