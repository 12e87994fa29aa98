/**
 * Day two on the story: after a full apply, the spec is the desired state. A spec with one more
 * role, consumer and trusted range plans only those steps, applies with consumers reconnecting
 * every 150 ms (0 failures), retires the logins consumers moved away from, and its rollback
 * returns the files byte for byte to the day-one state; a plan of an unchanged spec says
 * "Nothing to do" and writes no directory.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testedInstalls } from '../support/cluster.js';
import { pgharden, pghardenAsync } from '../support/cli.js';
import { loadGenerator } from '../support/consumer-load.js';
import {
  fileIdentity,
  hasDumpTools,
  makeStoryPlan,
  storyWithConsumers,
  type StoryPlanSetup,
} from '../support/story-plan.js';

const NEW_RANGE = '127.20.0.0/16';

describe.each(testedInstalls())('day two on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  let day1: string;
  let billing: string;
  let dayOne: Record<string, string>;
  /** The day-one spec, reaching the server over the local socket. */
  let daySpec: string;
  const skip = () => (hasDumpTools(s.cluster.major) ? [] : ['--skip-backup']);
  const attrs = async (role: string) =>
    (
      await s.cluster.query<{ l: boolean; s: boolean }>(
        'SELECT rolcanlogin AS l, rolsuper AS s FROM pg_roles WHERE rolname = $1',
        [role],
      )
    )[0];
  const files = () => fileIdentity([s.cluster.hbaFile, s.cluster.confFile, ...s.consumerFiles, billing]);

  beforeAll(async () => {
    s = await storyWithConsumers(install);
    // The story's agents connected as a superuser login of their own.
    await s.cluster.query('CREATE ROLE agent_app SUPERUSER LOGIN');
    const env = s.consumerFiles[0]!;
    writeFileSync(env, readFileSync(env, 'utf8').replace('postgres@', 'agent_app@'));
  });
  afterAll(async () => s?.cleanup());

  it('retires the superuser login the agents moved away from on day one', async () => {
    day1 = makeStoryPlan(s, 'day1');
    const plan = JSON.parse(readFileSync(join(day1, 'plan.json'), 'utf8')) as {
      notices: string[];
      steps: { id: string }[];
    };
    expect(plan.notices.find((n) => n.startsWith('RETIRED: agent_app'))).toContain(
      'consumer agents moved away from it',
    );
    const r = pgharden(['apply', day1, '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await attrs('agent_app')).toEqual({ l: false, s: false });
  });

  it('plans only the new role, consumer and range, applies them under load, and rolls back to day one', async () => {
    // A consumer that logs in with a password of its own, from a range the spec did not have.
    await s.cluster.query("CREATE ROLE billing_legacy LOGIN PASSWORD 'legacy-pw'");
    await s.workspace.query('GRANT SELECT ON agents TO billing_legacy');
    billing = join(s.dir, 'billing.env');
    writeFileSync(billing, `DATABASE_URL=postgres://billing_legacy:legacy-pw@127.0.0.1:${s.cluster.port}/workspace\n`, {
      mode: 0o600,
    });
    // After the flip the superuser reaches the server only over the local socket.
    const spec = readFileSync(s.spec, 'utf8')
      .replace(
        /dsn: "[^"]*"/,
        `dsn: "postgres://postgres@/postgres?host=${s.cluster.socketDir}&port=${s.cluster.port}"`,
      )
      .replace(/trustedRanges: \[([^\]]*)\]/, `trustedRanges: [$1, ${NEW_RANGE}]`)
      .replace('consumers:\n', '  - { name: billing, template: readonly, databases: [workspace] }\nconsumers:\n')
      .concat('  - { name: billing, file: billing.env, key: DATABASE_URL, role: billing, application: billing }\n');
    writeFileSync(s.spec, spec);
    daySpec = readFileSync(s.spec, 'utf8')
      .replace(`, ${NEW_RANGE}`, '')
      .replace(/ {2}- \{ name: billing,[^\n]*\n/g, '');
    dayOne = files();

    const day2 = join(s.dir, 'plans', 'day2');
    const planned = pgharden(['plan', '--spec', s.spec, '--out', day2, '--json', ...skip()]);
    expect(planned.code, planned.stderr + planned.stdout.slice(0, 1500)).toBe(0);
    const review = JSON.parse(planned.stdout) as { nothingToDo: boolean; stages: { steps: { id: string }[] }[] };
    expect(review.nothingToDo).toBe(false);
    // No step for what is in sync: agents_app, reporting and their consumers are taken over as they are.
    expect(review.stages.flatMap((st) => st.steps.map((x) => x.id))).toEqual([
      'preflight/lock',
      'preflight/backup',
      ...(skip().length ? [] : ['preflight/verified-backup']),
      'preflight/admin-path',
      'roles/create-billing',
      'roles/grant-billing-workspace',
      'canary/hba',
      'canary/reload',
      'canary/probe-agents_app',
      'canary/probe-reporting',
      'canary/probe-billing',
      'consumers/billing/rewrite',
      'consumers/billing/drain',
      'flip/drain-billing_legacy',
      'flip/retire-billing_legacy',
      'verify/passwordless',
      'verify/admin-path',
      'verify/privileges-billing-workspace',
      'verify/consumer-billing',
    ]);
    const canary = readFileSync(s.cluster.hbaFile, 'utf8');
    const loads = [
      loadGenerator(s.consumerFiles[0]!, 'DATABASE_URL', 'agents', 150),
      loadGenerator(s.consumerFiles[1]!, undefined, 'weekly', 150),
      loadGenerator(billing, 'DATABASE_URL', 'billing', 150),
    ];
    const r = await pghardenAsync(['apply', day2, '--yes']);
    for (const l of loads) await l.stop();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const l of loads) {
      expect(l.failures).toEqual([]);
      expect(l.attempts).toBeGreaterThan(3);
    }
    // Only the new lines were added to pg_hba.conf: every line of day one is still there, in order.
    const after = readFileSync(s.cluster.hbaFile, 'utf8');
    expect(after.split('\n').filter((l) => !l.includes(NEW_RANGE) && !/\bbilling\b/.test(l))).toEqual(
      canary.split('\n'),
    );
    expect(readFileSync(billing, 'utf8')).toMatch(/^DATABASE_URL=postgres:\/\/billing:/);
    expect(await attrs('billing_legacy')).toEqual({ l: false, s: false });

    // The same spec again: nothing to do, and nothing written.
    const again = join(s.dir, 'plans', 'day2-again');
    const second = pgharden(['plan', '--spec', s.spec, '--out', again, '--json', ...skip()]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toBe(
      `Nothing to do: ${s.cluster.dataDir} (port ${s.cluster.port}) matches the spec (${s.spec}). No plan was written.\n`,
    );
    expect(JSON.parse(second.stdout)).toMatchObject({ nothingToDo: true });
    expect(existsSync(again)).toBe(false);

    const back = pgharden(['rollback', day2]);
    expect(back.stderr).toBe('');
    expect(back.code).toBe(0);
    expect(files()).toEqual(dayOne);
    expect(await attrs('billing_legacy')).toEqual({ l: true, s: false });
    expect(await s.cluster.query("SELECT 1 FROM pg_roles WHERE rolname = 'billing'")).toEqual([]);
  });

  it('gives a role whose read-only tables changed only REVOKE and GRANT, and its rollback the old privileges', async () => {
    const canWrite = async () =>
      (await s.workspace.query<{ w: boolean }>("SELECT has_table_privilege('agents_app', 'tasks', 'INSERT') AS w"))
        .rows[0]!.w;
    writeFileSync(
      s.spec,
      daySpec.replace('readOnlyTables: [agents_kill_switch]', 'readOnlyTables: [agents_kill_switch, tasks]'),
    );
    const plan = join(s.dir, 'plans', 'read-only');
    const planned = pgharden(['plan', '--spec', s.spec, '--out', plan, '--json', ...skip()]);
    expect(planned.code, planned.stderr).toBe(0);
    const ids = (JSON.parse(planned.stdout) as { stages: { stage: string; steps: { id: string }[] }[] }).stages
      .filter((st) => st.stage !== 'preflight' && st.stage !== 'verify')
      .flatMap((st) => st.steps.map((x) => x.id));
    expect(ids).toEqual(['roles/regrant-agents_app-workspace']);
    expect(await canWrite()).toBe(true);
    const r = pgharden(['apply', plan, '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await canWrite()).toBe(false);
    expect(readFileSync(join(plan, 'report.txt'), 'utf8')).toMatch(/\d+ checks passed, 0 failed/);
    expect(pgharden(['rollback', plan]).code).toBe(0);
    expect(await canWrite()).toBe(true);
  });

  it('restores a revoked sequence privilege, removed default privileges and a dropped membership, and only those', async () => {
    // A role whose template makes it a member of a group (the spec can say so only through a template).
    const templates = join(s.dir, 'templates');
    mkdirSync(templates, { recursive: true });
    writeFileSync(
      join(templates, 'monitor.sql'),
      '-- kind: owner\nGRANT CONNECT ON DATABASE :database TO :role;\nGRANT pg_monitor TO :role;\n',
    );
    writeFileSync(
      s.spec,
      `templates: templates\n${daySpec.replace('consumers:\n', '  - { name: watcher, template: monitor, databases: [workspace] }\nconsumers:\n')}`,
    );
    const watcherPlan = join(s.dir, 'plans', 'watcher');
    const made = pgharden(['plan', '--spec', s.spec, '--out', watcherPlan, ...skip()]);
    expect(made.code, made.stderr).toBe(0);
    const applied = pgharden(['apply', watcherPlan, '--yes']);
    expect(applied.code, applied.stderr).toBe(0);
    const converged = pgharden(['plan', '--spec', s.spec, '--check', '--json', ...skip()]);
    expect(converged.code, converged.stderr).toBe(0);
    expect(JSON.parse(converged.stdout)).toMatchObject({ nothingToDo: true });

    const state = async () => ({
      seq: (
        await s.workspace.query<{ u: boolean }>(
          "SELECT has_sequence_privilege('agents_app', 'agents_id_seq', 'USAGE') AS u",
        )
      ).rows[0]!.u,
      defaults: (
        await s.workspace.query<{ n: string }>(
          "SELECT count(*) AS n FROM pg_default_acl d, aclexplode(d.defaclacl) a WHERE a.grantee = 'reporting'::regrole AND d.defaclobjtype = 'r'",
        )
      ).rows[0]!.n,
      member: (await s.cluster.query<{ m: boolean }>("SELECT pg_has_role('watcher', 'pg_monitor', 'MEMBER') AS m"))[0]!
        .m,
    });
    const restored = await state();
    expect(restored).toEqual({ seq: true, defaults: '1', member: true });
    // Someone drifts the live cluster away from the spec.
    await s.workspace.query('REVOKE USAGE ON SEQUENCE agents_id_seq FROM agents_app');
    await s.workspace.query('ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT ON TABLES FROM reporting');
    await s.cluster.query('REVOKE pg_monitor FROM watcher');
    const drifted = await state();
    expect(drifted).toEqual({ seq: false, defaults: '0', member: false });

    const plan = join(s.dir, 'plans', 'restore');
    const planned = pgharden(['plan', '--spec', s.spec, '--out', plan, '--json', ...skip()]);
    expect(planned.code, planned.stderr).toBe(0);
    expect(JSON.parse(planned.stdout)).toMatchObject({ nothingToDo: false });
    const steps = (
      JSON.parse(planned.stdout) as { stages: { stage: string; steps: { id: string; sql: string[] }[] }[] }
    ).stages
      .filter((st) => st.stage !== 'preflight' && st.stage !== 'verify')
      .flatMap((st) => st.steps.map((x) => ({ id: x.id, sql: x.sql })));
    expect(steps).toEqual([
      {
        id: 'roles/restore-grants-agents_app-workspace',
        sql: ['GRANT USAGE ON SEQUENCE "public"."agents_id_seq" TO "agents_app"'],
      },
      {
        id: 'roles/restore-grants-reporting-workspace',
        sql: ['ALTER DEFAULT PRIVILEGES IN SCHEMA "public" GRANT SELECT ON TABLES TO "reporting"'],
      },
      { id: 'roles/restore-membership-watcher', sql: ['GRANT "pg_monitor" TO "watcher"'] },
    ]);
    const r = pgharden(['apply', plan, '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await state()).toEqual(restored);
    const again = pgharden(['plan', '--spec', s.spec, '--check', '--json', ...skip()]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ nothingToDo: true });

    // Its rollback takes back exactly what it restored; then the watcher plan goes too.
    expect(pgharden(['rollback', plan]).code).toBe(0);
    expect(await state()).toEqual(drifted);
    await s.workspace.query('GRANT USAGE ON SEQUENCE agents_id_seq TO agents_app');
    await s.workspace.query('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO reporting');
    const back = pgharden(['rollback', watcherPlan]);
    expect(back.code, back.stderr).toBe(0);
    writeFileSync(s.spec, daySpec);
  });

  it('gives agent_app back its LOGIN and SUPERUSER when day one is rolled back', async () => {
    const back = pgharden(['rollback', day1]);
    expect(back.stderr).toBe('');
    expect(back.code).toBe(0);
    expect(await attrs('agent_app')).toEqual({ l: true, s: true });
  });
});
