/**
 * Rollback's SQL phase: the plan's SQL steps undone in reverse, each in one transaction. A role
 * with sessions still on it after the drain is kept with every step that concerns it (its grants
 * too, so those sessions keep working), and reported.
 */
import type { Plan, Step } from '../plan/types.js';
import type { AdminSession } from './admin.js';
import type { Journal } from './journal.js';
import { roleOf, sessionsLeft } from './rollback-sessions.js';

export interface SqlUndoContext {
  admin: AdminSession;
  journal: Journal;
  result: { undone: string[]; kept: string[] };
  log: (line: string) => void;
  terminate: boolean;
}

/** Undoes `steps` (already in reverse order). */
export async function undoSql(plan: Plan, dir: string, steps: Step[], x: SqlUndoContext): Promise<void> {
  const dropped = [...new Set(steps.filter((s) => s.id.startsWith('roles/create-')).map(roleOf).filter((r): r is string => r !== null))];
  const busy = await sessionsLeft(plan, x.admin, dropped, x.terminate, x.log);
  for (const [role, sessions] of busy) {
    x.result.kept.push(`role ${role}: sessions are still logged in as it: ${sessions.join(', ')}. Stop those clients, or end them with: pgharden rollback --terminate ${dir}`);
    x.log(`  kept role ${role}: ${sessions.length} session${sessions.length === 1 ? ' is' : 's are'} still on it`);
  }
  for (const s of steps) {
    const role = s.stage === 'roles' ? roleOf(s) : null;
    if (role !== null && busy.has(role)) continue;
    const u = s.undo as { database: string; statements: string[] };
    x.journal.append({ type: 'revert-intent', stepId: s.id });
    try {
      await x.admin.query('BEGIN', [], u.database);
      for (const sql of u.statements) await x.admin.query(sql, [], u.database);
      await x.admin.query('COMMIT', [], u.database);
      x.journal.append({ type: 'reverted', stepId: s.id });
      x.result.undone.push(s.id);
      x.log(`  undid ${s.id}`);
    } catch (err) {
      await x.admin.query('ROLLBACK', [], u.database).catch(() => undefined);
      x.result.kept.push(`${s.id}: ${(err as Error).message}`);
      x.log(`  kept ${s.id}: ${(err as Error).message}`);
    }
  }
}
