/**
 * `pgharden rollback`'s core. The plan is the program: the steps apply started (the journal says
 * intent, done or failed) are undone in reverse, each by its own `undo` action run through apply's
 * runners (rollback-undo.ts). First the files, with no database login: pg_hba.conf,
 * postgresql.auto.conf (which also undoes ALTER SYSTEM) and consumer files back from the preflight
 * backup byte for byte with mode and owner, modes chmodded back. Then one reload: a signal to the
 * postmaster once proven to be this data directory's, else pg_reload_conf() on the admin path.
 * Then, with the old rules in force, each consumer's reload command and the SQL. With the journal
 * gone, the backups and the server say what was done: every file undo runs (one on a file already
 * as saved changes nothing), a step whose after-state holds is undone, and a step that leaves
 * nothing to observe (a consumer's reload) follows the files, which it re-reads. With a journal
 * shorter than what the files show (journal-evidence.ts), the same evidence is added to it: every
 * file not as the plan found it is put back, as rollback.sh does. Before any file is written back,
 * every saved copy is checked against the sha256 apply saved it with (rollback-backups.ts); and a
 * role is dropped only once no consumer file still holds its connection string.
 */
import { rollbackSecrets } from './rollback-secrets.js';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { backupPath } from '../plan/stage-network.js';
import { loadPlan, reloadAdvice } from '../plan/store.js';
import type { Plan, Step } from '../plan/plan-types.js';
import { openAdmin, type AdminSession } from './admin.js';
import { dropLeftScratch, journalLedger } from './backup-step.js';
import { openJournal } from './journal.js';
import { acquirePlanLock } from '../core/lock.js';
import { observeAll } from './step-states.js';
import { NotPostmasterError, signalReload } from './postmaster.js';
import { passOf, undoPass, type UndoResult } from './rollback-undo.js';
import { differsFromPlan, journalEvidence, restoresByEvidence } from './journal-evidence.js';
import { refuseAlteredBackups, savedHashes } from './rollback-backups.js';
import { reload, runContext } from './runners.js';

export interface RollbackResult extends UndoResult {
  plan: Plan;
}

export interface RollbackOptions {
  /** End the sessions still on a role rollback drops (default: keep the role and report them). */
  terminate?: boolean;
}

/** The admin path, opened on its first query: rollback logs in only when an undo needs the server. */
function onFirstUse(open: () => Promise<AdminSession>): AdminSession {
  let opening: Promise<AdminSession> | undefined;
  let session: AdminSession | undefined;
  const get = () => (opening ??= open().then((s) => (session = s)));
  return {
    get how() {
      if (!session) throw new Error('internal: the admin path is not open yet');
      return session.how;
    },
    query: async <T = Record<string, unknown>>(sql: string, params?: unknown[], database?: string) =>
      (await get()).query<T>(sql, params, database),
    release: async (database: string) => session?.release(database),
    end: async () =>
      opening?.then(
        (s) => s.end(),
        () => undefined,
      ),
  };
}

/** Without a journal: the steps with a server undo that look done (after-state holds; nothing to observe: files were put back). */
async function doneByTheLooks(plan: Plan, admin: AdminSession, restored: boolean): Promise<Step[]> {
  const out: Step[] = [];
  for (const s of plan.steps) {
    if (!s.undo || passOf(s.undo) !== 'server') continue;
    const observable = s.after.some((st) => st.of !== 'none');
    if (observable ? (await observeAll(s.after, admin, plan.server.autoConfFile)).matches : restored) out.push(s);
  }
  return out;
}

export async function rollbackPlan(
  dir: string,
  log: (line: string) => void,
  o: RollbackOptions = {},
): Promise<RollbackResult> {
  // The HMAC is checked whenever the key is there (an edited plan could aim the restores at other
  // paths or the undo at other SQL); without the secrets file rollback still restores the files.
  const plan = loadPlan(dir, { keyOptional: true });
  const lock = acquirePlanLock(dir);
  const result: RollbackResult = { plan, restored: [], removed: [], undone: [], kept: [] };
  const dataDirectory = plan.binding.dataDirectory;
  let reloadState: 'untried' | 'signalled' | 'tried' = 'untried';
  const admin = onFirstUse(async () => {
    const a = await openAdmin({
      socketDir: plan.server.socketDir,
      port: plan.binding.port,
      role: plan.server.adminRole,
      dataDirectory,
      configFile: plan.server.configFile,
    });
    // A signal only asks: before any server undo, wait until the restored files are in force.
    if (reloadState === 'signalled') await reload(a);
    return a;
  });
  const reloadServer = async () => {
    reloadState = 'tried';
    try {
      log(`  signalled the postmaster (pid ${signalReload(dataDirectory)}) to reload`);
      reloadState = 'signalled';
      return;
    } catch (err) {
      if (!(err instanceof NotPostmasterError)) throw err;
      log(`  ${err.message}`);
    }
    try {
      await reload(admin);
    } catch (err) {
      throw new Error(
        `the server was not told to reload (${(err as Error).message}): run ${reloadAdvice(dataDirectory)}`,
        { cause: err },
      );
    }
    log('  reloaded through pg_reload_conf() on the admin path instead');
  };
  try {
    const journal = openJournal(join(dir, 'journal'));
    const backedUp = (s: Step) => s.undo?.do !== 'restore-file' || existsSync(join(dir, s.undo.backup));
    // No apply step in the journal (deleted, or never written): the files and the server tell. A
    // journal holding only an interrupted rollback's records counts as none, so a re-run decides the same.
    const noJournal = !journal.records.some((r) => r.type === 'intent');
    if (noJournal && !plan.binding.files.some((f) => existsSync(join(dir, backupPath(plan.binding.files, f.path))))) {
      log(`  ${plan.name} was never applied (its journal is empty): nothing to roll back`);
      return result;
    }
    if (noJournal)
      log(
        `  ${plan.name} has no journal, but ${join(dir, 'backup')} holds the files as they were: rolling back by what the files and the server show`,
      );
    // Started: an intent was recorded (a step refused for drift never acted) and not reverted since.
    const intents = new Set(journal.records.flatMap((r) => (r.type === 'intent' ? [r.stepId] : [])));
    const started = noJournal
      ? null
      : plan.steps.filter((s) => intents.has(s.id) && ['intent', 'done', 'failed'].includes(journal.stepState(s.id)));
    // The files' evidence, as rollback.sh has it: every file not as the plan found it goes back, journaled or not.
    const covered = new Set(
      (started ?? []).flatMap((s) => (s.undo && passOf(s.undo) === 'files' && 'path' in s.undo ? [s.undo.path] : [])),
    );
    const byEvidence = started
      ? restoresByEvidence(plan).filter((s) => backedUp(s) && !covered.has((s.undo as { path: string }).path))
      : [];
    const evidence = started && (await journalEvidence(plan, journal));
    const short = evidence !== null && (evidence.warnings.length > 0 || byEvidence.some((s) => !started!.includes(s)));
    if (short) {
      for (const w of evidence.warnings) log(`  warning: ${w}`);
      log(
        '  the journal does not record everything that was done: rolling back by what the files and the server show too',
      );
    }
    const inOrder = (a: readonly Step[], b: readonly Step[]) => [
      ...plan.steps.filter((s) => a.includes(s) || b.includes(s)),
      ...b.filter((s) => !plan.steps.includes(s)),
    ];
    const fileSteps = started ? inOrder(started, byEvidence) : plan.steps.filter(backedUp);
    // Every saved copy is checked before the first is written back: a refusal leaves every live file as it is.
    const want = savedHashes(plan, journal);
    refuseAlteredBackups(dir, fileSteps, want);

    journal.append({ type: 'run-start', planId: plan.id, pid: process.pid, host: hostname(), version: 'rollback' });
    const u: Parameters<typeof undoPass>[2] = {
      x: {
        ...runContext({ plan, dir, secrets: rollbackSecrets(dir, plan), admin, journal, log, reload: reloadServer }),
        savedSha256: want,
      },
      result,
      terminate: o.terminate ?? false,
    };

    await undoPass('files', fileSteps, u);
    const restored = result.restored.length + result.removed.length > 0;
    await undoPass('reload', started ?? (restored ? plan.steps : []), u);
    // Files put back are read at a reload even where no reload step ran: a server restarted or
    // reloaded by hand since apply stopped may have loaded what the plan wrote.
    if (restored && reloadState === 'untried')
      await reloadServer().catch((err: Error) => void result.kept.push(err.message));

    // A role is dropped only once no consumer file holds its connection string any more.
    const unrestored = plan.consumers.filter((c) => differsFromPlan(plan, c.path));
    u.held = new Set(unrestored.map((c) => c.role));
    for (const c of unrestored) {
      result.kept.push(
        `role ${c.role}: ${c.path} (consumer ${c.name}) is not back as it was and still holds its connection string; put it back (sh ${join(dir, 'rollback.sh')}), then run pgharden rollback ${dir} again`,
      );
      log(`  kept role ${c.role}: ${c.path} is not restored`);
    }
    if (journalLedger(journal).pending().length) await dropLeftScratch(journal, admin, log);
    const looksDone = started === null || short ? await doneByTheLooks(plan, admin, restored) : [];
    await undoPass('server', started ? inOrder(started, looksDone) : looksDone, u);
    for (const s of started ?? []) if (!s.undo) journal.append({ type: 'reverted', stepId: s.id });
    journal.append({ type: 'run-end', outcome: 'rolled-back' });
    return result;
  } finally {
    await admin.end();
    lock.release();
  }
}
