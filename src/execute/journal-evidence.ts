/**
 * The journal against the files' evidence. A journal cut at a line boundary still hash-chains: it
 * is only shorter. The files say what it no longer does: a step the journal never mentions whose
 * after-state holds on disk (and its before-state does not) was done; a file the plan touches that
 * is not as the plan found it, with no journaled step writing it, was changed where the journal
 * does not show. `status` reports both; `rollback` then restores from the files' evidence, as
 * rollback.sh does. Only what a file shows is judged here: no database login is needed.
 */
import { observeFile } from '../plan/binding.js';
import { backupPath } from '../plan/stage-network.js';
import type { Plan, State, Step } from '../plan/plan-types.js';
import type { AdminSession } from './admin.js';
import type { Journal } from './journal.js';
import { observeAll } from './step-states.js';

/** What the files show beyond the journal. */
export interface JournalEvidence {
  /** Steps the journal does not mention whose after-state (files, postgresql.auto.conf) holds. */
  unrecorded: Step[];
  /** Files the plan touches that differ from its record while no journaled step writes them. */
  unexplained: string[];
  /** One line each, for the operator. */
  warnings: string[];
}

const offline = (s: State) => s.of === 'file' || s.of === 'auto-setting';

const noServer: AdminSession = {
  get how(): never {
    throw new Error('internal: journal evidence needs no server');
  },
  query: () => Promise.reject(new Error('internal: journal evidence needs no server')),
  release: async () => undefined,
  end: async () => undefined,
};

/** The files a step changes: its action's and its undo's path, the files its after-state names, postgresql.auto.conf for ALTER SYSTEM. */
export function filesWritten(step: Step, plan: Plan): string[] {
  const out = new Set<string>();
  if ('path' in step.forward) out.add(step.forward.path);
  if (step.undo && 'path' in step.undo) out.add(step.undo.path);
  for (const s of step.after) {
    if (s.of === 'file') out.add(s.path);
    if (s.of === 'auto-setting') out.add(plan.server.autoConfFile);
  }
  return [...out];
}

/** Is this file not as the plan recorded it when it was made (content, mode or owner)? */
export function differsFromPlan(plan: Plan, path: string): boolean {
  const f = plan.binding.files.find((x) => x.path === path);
  if (!f) return false;
  const now = observeFile(path);
  if (now.sha256 !== f.sha256) return true;
  return f.sha256 !== null && (now.mode !== f.mode || now.uid !== f.uid || now.gid !== f.gid);
}

/**
 * What rollback.sh would do for each file the plan touches that is not as the plan found it: put
 * it back from its saved copy (or remove it, when it did not exist). The plan's own step with that
 * undo where there is one; else a step made for it (a file only chmodded, by a step the journal lost).
 */
export function restoresByEvidence(plan: Plan): Step[] {
  return plan.binding.files
    .filter((f) => differsFromPlan(plan, f.path))
    .map((f) => {
      const own = plan.steps.find(
        (s) => (s.undo?.do === 'restore-file' || s.undo?.do === 'remove-file') && s.undo.path === f.path,
      );
      if (own) return own;
      const undo: Step['undo'] =
        f.sha256 === null
          ? { do: 'remove-file', path: f.path }
          : {
              do: 'restore-file',
              path: f.path,
              backup: backupPath(plan.binding.files, f.path),
              ...(f.link ? { link: f.link } : {}),
            };
      return {
        id: `rollback/restore ${f.path}`,
        stage: 'preflight',
        kind: 'file',
        description: `Put ${f.path} back as the plan found it`,
        forward: undo,
        verify: [],
        undo,
        before: [{ of: 'none' }],
        after: [{ of: 'none' }],
        transactional: false,
        restartRequired: false,
      } satisfies Step;
    });
}

/** What the files show that the journal does not record. */
export async function journalEvidence(plan: Plan, journal: Journal): Promise<JournalEvidence> {
  const recorded = (s: Step) => journal.stepState(s.id) !== 'not-started';
  const unrecorded: Step[] = [];
  for (const s of plan.steps) {
    if (recorded(s) || s.stage === 'preflight' || s.after.length === 0 || !s.after.every(offline)) continue;
    const auto = plan.server.autoConfFile;
    if (!(await observeAll(s.after, noServer, auto)).matches) continue;
    if (s.before.every(offline) && (await observeAll(s.before, noServer, auto)).matches) continue;
    unrecorded.push(s);
  }
  const journaled = new Set(plan.steps.filter(recorded).flatMap((s) => filesWritten(s, plan)));
  const shown = new Set(unrecorded.flatMap((s) => filesWritten(s, plan)));
  const unexplained = plan.binding.files
    .map((f) => f.path)
    .filter((p) => !journaled.has(p) && !shown.has(p) && differsFromPlan(plan, p));
  const warnings = [
    ...unrecorded.map(
      (s) =>
        `the journal records nothing of ${s.id}, yet what it leaves is there (${filesWritten(s, plan).join(', ')}): the journal is shorter than what was done (was it cut?)`,
    ),
    ...unexplained.map(
      (p) =>
        `${p} is not as the plan found it, and the journal records no step that writes it (a cut journal, or a change by hand)`,
    ),
  ];
  return { unrecorded, unexplained, warnings };
}
