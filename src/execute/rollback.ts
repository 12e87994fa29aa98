/**
 * `pgharden rollback`'s core. Phase 1 needs no database login: every file the plan touched is
 * put back from the preflight backup, byte for byte with its mode and owner (pg_hba.conf,
 * postgresql.conf, postgresql.auto.conf — which also undoes ALTER SYSTEM — and consumer files),
 * then the postmaster is signalled to reload. Phase 2, with the old rules back, runs each
 * consumer's reload command again and undoes the SQL steps in reverse: a created role is
 * dropped only if it owns nothing, otherwise it is kept and reported.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { observeFile } from '../plan/binding.js';
import { loadPlan } from '../plan/store.js';
import { backupPath } from '../plan/stage-network.js';
import type { Plan } from '../plan/types.js';
import { openAdmin, type AdminSession } from './admin.js';
import { writeFileAtomic } from './atomic.js';
import { openJournal } from './journal.js';
import { acquirePlanLock } from './lock.js';
import { reload } from './runners.js';

export interface RollbackResult {
  plan: Plan;
  restored: string[];
  undone: string[];
  /** What could not be undone, and why (e.g. a role that owns objects). */
  kept: string[];
}

const pexec = promisify(execFile);


/** SIGHUP to the postmaster: the pid is the first line of postmaster.pid. */
export function signalReload(dataDirectory: string): number {
  const pid = Number(readFileSync(join(dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0]);
  process.kill(pid, 'SIGHUP');
  return pid;
}

export async function rollbackPlan(dir: string, log: (line: string) => void): Promise<RollbackResult> {
  // The HMAC is checked whenever the key is there (an edited plan could aim the restores at other
  // paths or the undo at other SQL); without the secrets file rollback still restores the files.
  const plan = loadPlan(dir, { keyOptional: true });
  const lock = acquirePlanLock(dir);
  const result: RollbackResult = { plan, restored: [], undone: [], kept: [] };
  let admin: AdminSession | undefined;
  try {
    const journal = openJournal(join(dir, 'journal'));
    if (journal.records.length === 0) {
      log(`  ${plan.name} was never applied (its journal is empty): nothing to roll back`);
      return result;
    }
    const touched = plan.steps.filter((s) => ['intent', 'done', 'failed'].includes(journal.stepState(s.id)));
    journal.append({ type: 'run-start', planId: plan.id, pid: process.pid, host: (await import('node:os')).hostname(), version: 'rollback' });

    // Phase 1: files, then a signal. No login needed.
    for (const f of plan.binding.files) {
      const saved = join(dir, backupPath(plan.binding.files, f.path));
      if (!existsSync(saved)) continue;
      const now = observeFile(f.path);
      if (now.sha256 === f.sha256 && now.mode === f.mode && now.uid === f.uid && now.gid === f.gid) continue;
      const st = statSync(saved);
      writeFileAtomic(f.path, readFileSync(saved), { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
      result.restored.push(f.path);
      log(`  restored ${f.path}`);
    }
    if (result.restored.length) log(`  signalled the postmaster (pid ${signalReload(plan.binding.dataDirectory)}) to reload`);

    // Phase 2: with the old rules back, the consumers and the SQL.
    const reverse = [...touched].reverse();
    for (const s of reverse.filter((x) => x.forward.do === 'command' && x.undo?.do === 'command')) {
      const u = s.undo as { argv: string[]; timeoutMs: number };
      await pexec(u.argv[0]!, u.argv.slice(1), { timeout: u.timeoutMs }).then(
        () => {
          result.undone.push(`${s.id}: ran ${u.argv.join(' ')} again`);
          log(`  ${s.id}: ran ${u.argv.join(' ')} again, so the consumer reads its restored file`);
        },
        (err: Error) => result.kept.push(`${s.id}: ${u.argv.join(' ')} failed: ${err.message}`),
      );
    }
    const sqlSteps = reverse.filter((s) => s.forward.do === 'sql' && s.undo?.do === 'sql' && !s.id.startsWith('roles/password-encryption') && s.id !== 'flip/listen-addresses');
    if (sqlSteps.length) {
      admin = await openAdmin({ socketDir: plan.server.socketDir, port: plan.binding.port, role: plan.server.adminRole, dataDirectory: plan.binding.dataDirectory });
      if (result.restored.length) await reload(admin);
      for (const s of sqlSteps) {
        const u = s.undo as { database: string; statements: string[] };
        journal.append({ type: 'revert-intent', stepId: s.id });
        try {
          await admin.query('BEGIN', [], u.database);
          for (const sql of u.statements) await admin.query(sql, [], u.database);
          await admin.query('COMMIT', [], u.database);
          journal.append({ type: 'reverted', stepId: s.id });
          result.undone.push(s.id);
          log(`  undid ${s.id}`);
        } catch (err) {
          await admin.query('ROLLBACK', [], u.database).catch(() => undefined);
          result.kept.push(`${s.id}: ${(err as Error).message}`);
          log(`  kept ${s.id}: ${(err as Error).message}`);
        }
      }
    }
    for (const s of touched.filter((x) => x.forward.do !== 'sql')) journal.append({ type: 'reverted', stepId: s.id });
    journal.append({ type: 'run-end', outcome: 'rolled-back' });
    return result;
  } finally {
    await admin?.end();
    lock.release();
  }
}
