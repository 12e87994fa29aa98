/**
 * Rollback and the sessions still logged in as a role it is about to drop. Dropping a role does
 * not end its sessions: they go on with no role name (`usename` NULL). So rollback first waits,
 * with the same drain gate as apply, for the consumers (their files restored and reloaded) to move
 * back; a session still there keeps its role (reported), unless `--terminate` ends it.
 */
import type { Plan, Step } from '../plan/plan-types.js';
import type { AdminSession } from './admin.js';
import { drain } from './drain.js';

/** The role a step creates: absent before it, present after it. */
export function createdRole(step: Step): string | null {
  const before = step.before.find((s) => s.of === 'role' && !s.exists);
  return before?.of === 'role' && step.after.some((s) => s.of === 'role' && s.name === before.name && s.exists)
    ? before.name
    : null;
}

/** The role a step creates or grants to, from its states. */
export function roleOf(step: Step): string | null {
  for (const s of step.after) {
    if (s.of === 'role') return s.name;
    if (s.of === 'mark') return s.role;
  }
  return null;
}

/** The longest drain timeout among the consumers moved to this role (0: none was). */
function drainTimeout(plan: Plan, role: string): number {
  return Math.max(
    0,
    ...plan.consumers
      .filter((c) => c.role === role)
      .map((c) => {
        const gate = plan.steps.find((s) => s.id === `consumers/${c.name}/drain`)?.forward;
        return gate?.do === 'gate' ? gate.timeoutMs : 0;
      }),
  );
}

/**
 * Waits for each role's sessions to drain; with `terminate`, ends those left. Returns, per role,
 * the sessions still on it (pid, application, address): those roles must not be dropped.
 */
export async function sessionsLeft(
  plan: Plan,
  admin: AdminSession,
  roles: string[],
  terminate: boolean,
  log: (line: string) => void,
): Promise<Map<string, string[]>> {
  const left = new Map<string, string[]>();
  for (const role of roles) {
    let sessions = await drain(admin, { user: role }, drainTimeout(plan, role));
    if (sessions.length && terminate) {
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE usename = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND application_name NOT LIKE 'pgharden%'`,
        [role],
      );
      log(
        `  ended ${sessions.length} session${sessions.length === 1 ? '' : 's'} of ${role} (--terminate): ${sessions.join(', ')}`,
      );
      sessions = await drain(admin, { user: role }, 10_000);
    }
    if (sessions.length) left.set(role, sessions);
  }
  return left;
}
