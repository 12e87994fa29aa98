/**
 * Rollback's passes: each step's `undo` is run through apply's own runners, the steps in reverse
 * order. Which pass an undo joins depends on what it needs, never on which step it came from:
 * - `files` (restore-file, chmod) needs no database login, so it goes first;
 * - `reload` has the server re-read what was put back: one reload serves them all;
 * - `server` is the rest (a consumer's reload command, SQL), run with the old rules back. Before
 *   the first undo that concerns a role the plan created, rollback waits for the sessions on those
 *   roles to go (rollback-sessions.ts); a role with sessions left is kept with every step that
 *   concerns it (its grants too, so those sessions keep working), and reported.
 * Equal undos within a pass run once: the canary's and the flip's both put pg_hba.conf back.
 */
import { statSync } from 'node:fs';
import { observeFile } from '../plan/binding.js';
import type { Action, Step } from '../plan/plan-types.js';
import { AdminPathError } from './admin.js';
import { canonicalJson } from '../core/canonical.js';
import { createdRole, roleOf, sessionsLeft } from './rollback-sessions.js';
import { runAction, type RunContext } from './runners.js';

export type UndoPass = 'files' | 'reload' | 'server';

/** The pass an undo joins, by what it needs. */
export const passOf = (a: Action): UndoPass =>
  a.do === 'restore-file' || a.do === 'chmod' || a.do === 'remove-file'
    ? 'files'
    : a.do === 'reload'
      ? 'reload'
      : 'server';

/** What rollback reports. */
export interface UndoResult {
  /** Files that were not as saved, and now are. */
  restored: string[];
  /** Files and directories the plan created, now removed. */
  removed: string[];
  /** Steps undone on the server side (SQL, consumers' commands). */
  undone: string[];
  /** What could not be undone, and why (e.g. a role that owns objects). */
  kept: string[];
}

export interface UndoRun {
  x: RunContext;
  result: UndoResult;
  terminate: boolean;
  /** Roles the plan created that still have sessions, once checked (first server undo that concerns one). */
  busy?: Map<string, string[]>;
  /** Roles kept whatever their sessions: a consumer file still holds their connection string. */
  held?: Set<string>;
}

const identity = (path: string) => {
  // A directory the plan made (pitr enable's configuration directory) has no bytes to compare.
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) return 'directory';
  const f = observeFile(path);
  return `${f.sha256} ${f.mode} ${f.uid}:${f.gid} ${f.link ?? ''}`;
};

/** Is this step to be left alone because a role it concerns is held, or still has sessions? Drains once, on first need. */
async function heldBySessions(s: Step, steps: readonly Step[], u: UndoRun): Promise<boolean> {
  const role = roleOf(s);
  if (role !== null && u.held?.has(role)) return true;
  const created = [...new Set(steps.map(createdRole).filter((r): r is string => r !== null))];
  if (role === null || !created.includes(role)) return false;
  if (!u.busy) {
    u.busy = await sessionsLeft(u.x.plan, u.x.admin, created, u.terminate, u.x.log);
    for (const [r, sessions] of u.busy) {
      u.result.kept.push(
        `role ${r}: sessions are still logged in as it: ${sessions.join(', ')}. Stop those clients, or end them with: pgharden rollback --terminate ${u.x.dir}`,
      );
      u.x.log(`  kept role ${r}: ${sessions.length} session${sessions.length === 1 ? ' is' : 's are'} still on it`);
    }
  }
  return u.busy.has(role);
}

/** Runs one step's undo, journaled (revert-intent, reverted); a failure is kept and reported, not thrown. */
async function undoOne(s: Step, a: Action, pass: UndoPass, u: UndoRun): Promise<boolean> {
  const { journal, log } = u.x;
  const path = pass === 'files' && 'path' in a ? a.path : null;
  const was = path === null ? null : identity(path);
  journal.append({ type: 'revert-intent', stepId: s.id });
  try {
    await runAction(a, s, u.x);
  } catch (err) {
    // Without the admin path no server undo can run: stop, as apply would (the files are back already).
    if (err instanceof AdminPathError) throw err;
    u.result.kept.push(`${s.id}: ${(err as Error).message}`);
    log(`  kept ${s.id}: ${(err as Error).message}`);
    return false;
  }
  journal.append({ type: 'reverted', stepId: s.id });
  if (path !== null && identity(path) !== was) {
    // Each line says what it did: a file the plan created is removed, not "restored".
    const gone = a.do === 'remove-file';
    const list = gone ? u.result.removed : u.result.restored;
    if (!list.includes(path)) {
      list.push(path);
      log(`  ${gone ? 'removed' : 'restored'} ${path}`);
    }
  }
  if (pass === 'server') {
    u.result.undone.push(s.id);
    log(
      `  undid ${s.id}${a.do === 'command' ? `: ran ${a.argv.join(' ')} again, so the consumer reads its restored file` : ''}`,
    );
  }
  return true;
}

/** Runs the undos of one pass over `steps` (in plan order), last step first. */
export async function undoPass(pass: UndoPass, steps: readonly Step[], u: UndoRun): Promise<void> {
  const outcome = new Map<string, boolean>();
  for (const s of [...steps].reverse()) {
    if (!s.undo || passOf(s.undo) !== pass) continue;
    if (pass === 'server' && (await heldBySessions(s, steps, u))) continue;
    const key = canonicalJson(s.undo);
    const earlier = outcome.get(key);
    if (earlier === undefined) outcome.set(key, await undoOne(s, s.undo, pass, u));
    else if (earlier) u.x.journal.append({ type: 'reverted', stepId: s.id });
  }
}
