/**
 * SCRAM verifiers never reach the server's statistics or logs, on a server set to record as much as
 * it can: pg_stat_statements (with utility statements), auto_explain, log_statement=all,
 * log_min_duration_statement=0, log_min_error_statement=error and debug_print_parse. Checked after a
 * successful apply and after one whose CREATE ROLE fails (a session creates the same role by hand,
 * uncommitted, so apply's statement waits on it and then fails with a unique violation); while it
 * waits, pg_stat_activity does not show its text either.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testedInstalls } from '../support/cluster.js';
import { pgharden, pghardenAsync } from '../support/cli.js';
import { makeStoryPlan, storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';

/** A verifier as the server would see it (not this file's own queries, which spell the pattern differently). */
const VERIFIER = /SCRAM-SHA-256\$\d+:/;

const LOUD = {
  shared_preload_libraries: 'pg_stat_statements,auto_explain',
  'pg_stat_statements.track': 'all',
  'pg_stat_statements.track_utility': 'on',
  'auto_explain.log_min_duration': '0',
  log_statement: 'all',
  log_min_duration_statement: '0',
  log_min_error_statement: 'error',
  debug_print_parse: 'on',
};

describe.each(testedInstalls())('verifiers stay out of statistics and logs on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  beforeAll(async () => {
    s = await storyWithConsumers(install, LOUD);
    await s.cluster.query('CREATE EXTENSION pg_stat_statements');
  });
  afterAll(async () => s?.cleanup());

  const leaks = async () => ({
    statements: (
      await s.cluster.query<{ query: string }>(
        "SELECT query FROM pg_stat_statements WHERE query ~ 'SCRAM-SHA-256\\$[0-9]+:'",
      )
    ).map((r) => r.query),
    log: readFileSync(s.cluster.logFile, 'utf8')
      .split('\n')
      .filter((l) => VERIFIER.test(l)),
  });

  it('records the statements themselves (the check can see them)', async () => {
    await s.cluster.query("CREATE ROLE leak_probe PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy'");
    const seen = await leaks();
    expect(seen.statements.length).toBeGreaterThan(0);
    expect(seen.log.length).toBeGreaterThan(0);
    await s.cluster.query('DROP ROLE leak_probe');
    await s.cluster.query('SELECT pg_stat_statements_reset()');
  });

  it('after a successful apply and its rollback', async () => {
    await s.cluster.query('SELECT pg_stat_statements_reset()');
    const logBefore = readFileSync(s.cluster.logFile, 'utf8').length;
    const plan = makeStoryPlan(s, 'loud-ok');
    const r = pgharden(['apply', plan, '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(pgharden(['rollback', plan]).code).toBe(0);
    expect((await leaks()).statements).toEqual([]);
    expect(
      readFileSync(s.cluster.logFile, 'utf8')
        .slice(logBefore)
        .split('\n')
        .filter((l) => VERIFIER.test(l)),
    ).toEqual([]);
    // The server did log the run: the check looks where the verifier would be.
    expect(readFileSync(s.cluster.logFile, 'utf8').slice(logBefore)).toMatch(/statement: GRANT .*"agents_app"/);
  });

  it('after an apply whose CREATE ROLE fails', async () => {
    await s.cluster.query('SELECT pg_stat_statements_reset()');
    const logBefore = readFileSync(s.cluster.logFile, 'utf8').length;
    const plan = makeStoryPlan(s, 'loud-fail');
    const other = await s.cluster.connect();
    await other.query('BEGIN');
    await other.query('CREATE ROLE agents_app');
    const run = pghardenAsync(['apply', plan, '--yes']);
    // Wait until apply's CREATE ROLE waits on the uncommitted one, then let it fail.
    for (let i = 0; i < 6000; i++) {
      const [w] = await s.cluster.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted');
      if (w!.n > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // Apply's CREATE ROLE is running now (waiting): pg_stat_activity must not show its text.
    expect(
      await s.cluster.query(
        "SELECT query FROM pg_stat_activity WHERE query ~ 'SCRAM-SHA-256\\$[0-9]+:' AND pid <> pg_backend_pid()",
      ),
    ).toEqual([]);
    await other.query('COMMIT');
    await other.end();
    const r = await run;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/roles\/create-agents_app[\s\S]*pg_authid_rolname_index/);
    const log = readFileSync(s.cluster.logFile, 'utf8').slice(logBefore);
    expect(log).toMatch(/ERROR: +duplicate key value violates unique constraint "pg_authid_rolname_index"/);
    expect((await leaks()).statements).toEqual([]);
    expect(log.split('\n').filter((l) => VERIFIER.test(l))).toEqual([]);
    pgharden(['rollback', plan]);
    await s.cluster.query('DROP ROLE IF EXISTS agents_app');
  });
});
