/**
 * The drain: waiting until no session is left on an identity (a consumer's old role, or a role
 * rollback is about to drop). pgharden's own sessions never count.
 */
import { elapsedText, tickDue } from '../core/progress.js';
import type { AdminSession } from './admin.js';

/** Which sessions a drain waits for: a role, and optionally one consumer's application and address. */
export interface SessionFilter {
  user: string;
  application?: string;
  clientAddress?: string;
  /** Only sessions without TLS (pg_stat_ssl): a consumer moving to TLS keeps its role. */
  plain?: boolean;
}

/** A session the drain waits for, as pg_stat_activity shows it. */
interface OldSession {
  pid: number;
  user: string;
  app: string;
  addr: string | null;
  since: string;
}

/** Sessions still on a consumer's old identity (pgharden's own excluded). */
async function oldSessions(admin: AdminSession, g: SessionFilter): Promise<OldSession[]> {
  return admin.query<OldSession>(
    `SELECT pid, usename AS user, application_name AS app, host(client_addr) AS addr,
            to_char(backend_start, 'HH24:MI:SS') AS since FROM pg_stat_activity
     WHERE usename = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()
       AND application_name NOT LIKE 'pgharden%' AND ($2::text IS NULL OR application_name = $2) AND ($3::inet IS NULL OR client_addr = $3::inet)
       AND (NOT $4::boolean OR NOT EXISTS (SELECT 1 FROM pg_stat_ssl s WHERE s.pid = pg_stat_activity.pid AND s.ssl))`,
    [g.user, g.application ?? null, g.clientAddress ?? null, g.plain === true],
  );
}

const brief = (r: OldSession) => `pid ${r.pid} (${r.app || 'no application_name'}${r.addr ? ` from ${r.addr}` : ''})`;
const full = (r: OldSession) =>
  `pid ${r.pid} (${r.user}, ${r.app || 'no application_name'}${r.addr ? ` from ${r.addr}` : ' on the local socket'}, since ${r.since})`;

/**
 * The drain gate: waits until no session matches, up to `timeoutMs`; returns those still there
 * ("pid N (application from address)"). None left on two looks a moment apart: a client that
 * read its old settings just before the rewrite has had the time to connect and show up.
 * `waiting` hears the sessions it waits for, as "pid N (user, application from address, since
 * HH:MM:SS)", with the time waited so far: each time that list changes (`changed`), and as a
 * progress tick while it stays the same (every 10 s, then every minute; never with an empty list).
 */
export async function drain(
  admin: AdminSession,
  g: SessionFilter,
  timeoutMs: number,
  waiting?: (sessions: string[], elapsedMs: number, changed: boolean) => void,
): Promise<string[]> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  const due = tickDue();
  let left = await oldSessions(admin, g);
  let told = '';
  const tell = () => {
    const now = left.map(full);
    if (!waiting || now.length === 0) return;
    if (now.join() !== told) {
      told = now.join();
      waiting(now, Date.now() - started, true);
    } else if (due()) waiting(now, Date.now() - started, false);
  };
  tell();
  for (let quiet = 0; quiet < 2 && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, left.length ? 250 : 100));
    left = await oldSessions(admin, g);
    quiet = left.length ? 0 : quiet + 1;
    tell();
  }
  return left.map(brief);
}

/**
 * The drain's progress line, indented as a step's detail: the sessions when they change (with
 * `advice`, what ends them), else how long it has waited of how long it may.
 */
export function drainLine(
  user: string,
  sessions: string[],
  elapsedMs: number,
  timeoutMs: number,
  changed: boolean,
  advice: string,
): string {
  const n = `${sessions.length} session${sessions.length === 1 ? '' : 's'}`;
  if (changed)
    return `      waiting up to ${timeoutMs / 1000} s for ${n} on ${user}: ${sessions.join(', ')}; ${advice}`;
  return `      still waiting for ${n} on ${user} to end … ${elapsedText(elapsedMs)} of ${elapsedText(timeoutMs)}: ${sessions.map((s) => s.replace(/^(pid \d+) \([^,]*, /, '$1 (')).join(', ')}`;
}
