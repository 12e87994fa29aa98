/**
 * `pgharden rollback`'s core. Phase 1 needs no database login: every file the plan touched is
 * put back from the preflight backup, byte for byte with its mode and owner (pg_hba.conf,
 * postgresql.conf, postgresql.auto.conf — which also undoes ALTER SYSTEM — and consumer files),
 * then the postmaster is signalled to reload, once proven to be this data directory's. Phase 2,
 * with the old rules back, runs each consumer's reload command again and undoes the SQL steps in
 * reverse: a created role is dropped only if it owns nothing and no session is still on it (see
 * rollback-sessions.ts), otherwise it is kept and reported. With the journal gone, the backups
 * and the server say what was done: files that differ are restored, SQL steps whose after-state
 * holds are undone.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { observeFile } from '../plan/binding.js';
import { loadPlan, reloadAdvice } from '../plan/store.js';
import { backupPath } from '../plan/stage-network.js';
import type { Plan, Step } from '../plan/types.js';
import { run } from '../process/run.js';
import { openAdmin, type AdminSession } from './admin.js';
import { restoreLink, writeFileAtomic } from '../core/atomic.js';
import { dropLeftScratch, journalLedger } from './backup-step.js';
import { openJournal } from './journal.js';
import { acquirePlanLock } from '../core/lock.js';
import { observeAll } from './observe.js';
import { NotPostmasterError, signalReload } from './postmaster.js';
import { undoSql } from './rollback-sql.js';
import { reload } from './runners.js';

export interface RollbackResult {
  plan: Plan;
  restored: string[];
  undone: string[];
  /** What could not be undone, and why (e.g. a role that owns objects). */
  kept: string[];
}

export interface RollbackOptions {
  /** End the sessions still on a role rollback drops (default: keep the role and report them). */
  terminate?: boolean;
}

const isSqlUndo = (s: Step) => s.forward.do === 'sql' && s.undo?.do === 'sql' && !s.id.startsWith('roles/password-encryption') && s.id !== 'flip/listen-addresses';

/** Without a journal: the SQL steps whose after-state holds on the server now, and (files restored) the consumers' reloads. */
async function doneByTheLooks(plan: Plan, admin: AdminSession, restored: boolean): Promise<Step[]> {
  const out: Step[] = [];
  for (const s of plan.steps) {
    if (s.forward.do === 'command' && s.undo?.do === 'command') {
      if (restored) out.push(s);
    } else if (isSqlUndo(s) && (await observeAll(s.after, admin, plan.server.autoConfFile)).matches) out.push(s);
  }
  return out;
}

export async function rollbackPlan(dir: string, log: (line: string) => void, o: RollbackOptions = {}): Promise<RollbackResult> {
  // The HMAC is checked whenever the key is there (an edited plan could aim the restores at other
  // paths or the undo at other SQL); without the secrets file rollback still restores the files.
  const plan = loadPlan(dir, { keyOptional: true });
  const lock = acquirePlanLock(dir);
  const result: RollbackResult = { plan, restored: [], undone: [], kept: [] };
  let admin: AdminSession | undefined;
  const connect = async () => (admin ??= await openAdmin({ socketDir: plan.server.socketDir, port: plan.binding.port, role: plan.server.adminRole, dataDirectory: plan.binding.dataDirectory }));
  try {
    const journal = openJournal(join(dir, 'journal'));
    const saved = plan.binding.files.filter((f) => existsSync(join(dir, backupPath(plan.binding.files, f.path))));
    // No apply step in the journal (deleted, or never written): the files and the server tell. A
    // journal holding only an interrupted rollback's records counts as none, so a re-run decides the same.
    const noJournal = !journal.records.some((r) => r.type === 'intent');
    if (noJournal && saved.length === 0) {
      log(`  ${plan.name} was never applied (its journal is empty): nothing to roll back`);
      return result;
    }
    if (noJournal) log(`  ${plan.name} has no journal, but ${join(dir, 'backup')} holds the files as they were: rolling back by what the files and the server show`);
    journal.append({ type: 'run-start', planId: plan.id, pid: process.pid, host: hostname(), version: 'rollback' });

    // Phase 1: files, then a signal. No login needed.
    for (const f of saved) {
      const copy = join(dir, backupPath(plan.binding.files, f.path));
      const now = observeFile(f.path);
      if (now.sha256 === f.sha256 && now.mode === f.mode && now.uid === f.uid && now.gid === f.gid && now.link === f.link) continue;
      if (f.link) restoreLink(f.path, f.link);
      const st = statSync(copy);
      writeFileAtomic(f.path, readFileSync(copy), { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
      result.restored.push(f.path);
      log(`  restored ${f.path}`);
    }
    let reloadPending = false;
    if (result.restored.length) {
      try {
        log(`  signalled the postmaster (pid ${signalReload(plan.binding.dataDirectory)}) to reload`);
      } catch (err) {
        if (!(err instanceof NotPostmasterError)) throw err;
        log(`  ${err.message}`);
        reloadPending = true;
      }
    }

    // Phase 2: with the old rules back, the consumers and the SQL.
    const touched = noJournal
      ? await doneByTheLooks(plan, await connect(), result.restored.length > 0)
      : plan.steps.filter((s) => ['intent', 'done', 'failed'].includes(journal.stepState(s.id)));
    const reverse = [...touched].reverse();
    for (const s of reverse.filter((x) => x.forward.do === 'command' && x.undo?.do === 'command')) {
      const u = s.undo as { argv: string[]; timeoutMs: number };
      await run(u.argv[0]!, u.argv.slice(1), { timeoutMs: u.timeoutMs }).then(
        () => {
          result.undone.push(`${s.id}: ran ${u.argv.join(' ')} again`);
          log(`  ${s.id}: ran ${u.argv.join(' ')} again, so the consumer reads its restored file`);
        },
        (err: Error) => result.kept.push(`${s.id}: ${err.message}`),
      );
    }
    const sqlSteps = reverse.filter(isSqlUndo);
    const needSql = sqlSteps.length > 0 || journalLedger(journal).pending().length > 0;
    if (reloadPending && !needSql) {
      try {
        await reload(await connect());
        log('  reloaded through pg_reload_conf() on the admin path instead');
      } catch (err) {
        result.kept.push(`the server was not told to reload (${(err as Error).message}): run ${reloadAdvice(plan.binding.dataDirectory)}`);
      }
    }
    if (needSql) {
      const a = await connect();
      if (result.restored.length) await reload(a);
      if (reloadPending) log('  reloaded through pg_reload_conf() on the admin path instead');
      await dropLeftScratch(journal, a, log);
      await undoSql(plan, dir, sqlSteps, { admin: a, journal, result, log, terminate: o.terminate ?? false });
    }
    for (const s of touched.filter((x) => x.forward.do !== 'sql')) journal.append({ type: 'reverted', stepId: s.id });
    journal.append({ type: 'run-end', outcome: 'rolled-back' });
    return result;
  } finally {
    await admin?.end();
    lock.release();
  }
}
