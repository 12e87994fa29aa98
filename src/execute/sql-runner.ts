/**
 * The SQL runner: a step's statements over the admin path, in one transaction when the step says
 * so or when a statement carries a SCRAM verifier, which is then kept out of the server's logs,
 * pg_stat_activity and pg_stat_statements.
 */
import { SECRET_TOKEN, type Action, type Step } from '../plan/plan-types.js';
import type { RunContext } from './runners.js';

/**
 * What keeps a statement's text (here: a SCRAM verifier) out of the server's logs and statistics,
 * for the rest of its transaction. log_statement and log_min_duration_statement would log it before
 * or after it runs, log_min_error_statement when it fails, debug_print_* as a parse tree;
 * track_activities=off leaves it out of pg_stat_activity.query. auto_explain never explains a
 * utility statement. All are superuser-settable (the admin role is one), on PostgreSQL 14-18.
 */
const QUIET = [
  "SET LOCAL log_statement = 'none'",
  'SET LOCAL log_min_duration_statement = -1',
  'SET LOCAL log_min_error_statement = panic',
  'SET LOCAL debug_print_parse = off',
  'SET LOCAL debug_print_rewritten = off',
  'SET LOCAL debug_print_plan = off',
  'SET LOCAL track_activities = off',
].join('; ');

/** pg_stat_statements records utility statements with their text (track_utility): not in this transaction. */
const QUIET_STATEMENTS =
  "SET LOCAL pg_stat_statements.track = 'none'; SET LOCAL pg_stat_statements.track_utility = off";

/** Runs a SQL step over the admin path, its verifiers (if any) filled in from the secrets. */
export async function runSql(a: Extract<Action, { do: 'sql' }>, step: Step, x: RunContext): Promise<void> {
  const q = (sql: string) => x.admin.query(sql, [], a.database);
  const secret = a.statements.some((s) => new RegExp(SECRET_TOKEN.source).test(s));
  // SET LOCAL needs a transaction: a statement carrying a verifier always gets one.
  const transaction = step.transactional || secret;
  if (transaction) await q('BEGIN');
  try {
    // A verifier is not a password, but it allows offline guessing: keep it out of logs and statistics.
    if (secret) {
      await q(QUIET);
      // Set only where the module is loaded, so no placeholder setting is made on a server without it.
      const [pgss] = await x.admin.query<{ on: string | null }>(
        "SELECT current_setting('pg_stat_statements.track', true) AS on",
        [],
        a.database,
      );
      if (pgss?.on !== null && pgss?.on !== undefined) await q(QUIET_STATEMENTS);
    }
    for (const s of a.statements) await q(s.replace(SECRET_TOKEN, (_, role: string) => x.secrets[role]!.verifier));
    if (transaction) await q('COMMIT');
  } catch (err) {
    if (transaction) await q('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
