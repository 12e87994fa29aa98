import { describe, expect, it } from 'vitest';
import { PlanError } from '../../../src/plan/input.js';
import { buildPlan, planId } from '../../../src/plan/planner.js';
import type { Plan, Step } from '../../../src/plan/plan-types.js';
import { PASSWORD, role, storyInput, storySnapshot } from './fixtures.js';
import { caught } from '../../support/caught.js';

const content = (p: Plan, id: string) => {
  const f = p.steps.find((s) => s.id === id)!.forward;
  if (f.do !== 'write-file') throw new Error(`${id} writes no file`);
  return f.content;
};
const sql = (s: Step) => (s.forward.do === 'sql' ? s.forward.statements : []);

describe('buildPlan on the story cluster', () => {
  it('orders the steps by stage, as a careful DBA would', async () => {
    const plan = buildPlan(await storyInput());
    expect(plan.steps.map((s) => `${s.stage} ${s.kind} ${s.id}`)).toEqual([
      'preflight gate preflight/lock',
      'preflight file preflight/backup',
      'preflight file preflight/verified-backup',
      'preflight gate preflight/admin-path',
      'roles sql roles/create-agents_app',
      'roles sql roles/grant-agents_app-workspace',
      'roles sql roles/create-reporting',
      'roles sql roles/grant-reporting-workspace',
      'roles sql roles/password-encryption',
      'canary file canary/hba',
      'canary reload canary/reload',
      'canary probe canary/probe-agents_app',
      'canary probe canary/probe-reporting',
      'consumers file consumers/agents/rewrite',
      'consumers gate consumers/agents/drain',
      'flip file flip/hba',
      'flip file flip/mode-postgresql.conf',
      'flip reload flip/reload',
      'verify probe verify/passwordless',
      'verify probe verify/admin-path',
      'verify probe verify/privileges-agents_app-workspace',
      'verify probe verify/privileges-reporting-workspace',
      'verify probe verify/consumer-agents',
    ]);
  });

  it('writes the canary rules above the trust rules, keeping every original line', async () => {
    expect(
      content(buildPlan(await storyInput()), 'canary/hba'),
    ).toBe(`# PostgreSQL Client Authentication Configuration File
# TYPE  DATABASE        USER            ADDRESS                 METHOD

# pgharden: canary rules while consumers move to their new roles; the flip keeps them
host    workspace       agents_app      127.10.0.0/16           scram-sha-256  # pgharden: canary for the new role agents_app
host    workspace       reporting       127.10.0.0/16           scram-sha-256  # pgharden: canary for the new role reporting

# "local" is for Unix domain socket connections only
local   all             all                                     trust
# IPv4 local connections:
host    all             all             127.0.0.1/32            trust
# The office VPN: every laptop, phone and agent box can reach the database.
host    all             all             127.10.0.0/16           trust
# IPv6 local connections:
host    all             all             ::1/128                 trust
`);
  });

  it('flips to scram-sha-256, rejects the superuser over the network and keeps local peer for the OS user', async () => {
    expect(
      content(buildPlan(await storyInput()), 'flip/hba'),
    ).toBe(`# PostgreSQL Client Authentication Configuration File
# TYPE  DATABASE        USER            ADDRESS                 METHOD

# pgharden: canary rules while consumers move to their new roles; the flip keeps them
host    all             postgres        0.0.0.0/0               reject  # pgharden: superusers are local-only
host    all             postgres        ::/0                    reject  # pgharden: superusers are local-only
host    workspace       agents_app      127.10.0.0/16           scram-sha-256  # pgharden: canary for the new role agents_app
host    workspace       reporting       127.10.0.0/16           scram-sha-256  # pgharden: canary for the new role reporting

# "local" is for Unix domain socket connections only
local   all             postgres                                peer  # pgharden: the server's OS user keeps its way in
local   all             all                                     scram-sha-256  # pgharden: was trust
# IPv4 local connections:
host    all             all             127.0.0.1/32            scram-sha-256  # pgharden: was trust
# The office VPN: every laptop, phone and agent box can reach the database.
host    all             all             127.10.0.0/16           scram-sha-256  # pgharden: was trust
# IPv6 local connections:
host    all             all             ::1/128                 scram-sha-256  # pgharden: was trust
`);
  });

  it('creates roles with a secret token, never a password or verifier, and marks each step in its transaction', async () => {
    const plan = buildPlan(await storyInput());
    const create = plan.steps.find((s) => s.id === 'roles/create-agents_app')!;
    expect(sql(create)).toEqual([
      `CREATE ROLE "agents_app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD '<secret:agents_app>'`,
      `COMMENT ON ROLE "agents_app" IS 'pgharden plan office-vpn: roles/create-agents_app'`,
    ]);
    expect(create.transactional).toBe(true);
    expect(create.before).toEqual([{ of: 'role', name: 'agents_app', exists: false }]);
    const grant = plan.steps.find((s) => s.id === 'roles/grant-agents_app-workspace')!;
    expect(grant.forward).toEqual({
      do: 'sql',
      database: 'workspace',
      statements: [
        'GRANT CONNECT ON DATABASE "workspace" TO "agents_app"',
        'GRANT USAGE ON SCHEMA "public" TO "agents_app"',
        'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "public" TO "agents_app"',
        'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "public" TO "agents_app"',
        'ALTER DEFAULT PRIVILEGES IN SCHEMA "public" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "agents_app"',
        'ALTER DEFAULT PRIVILEGES IN SCHEMA "public" GRANT USAGE, SELECT ON SEQUENCES TO "agents_app"',
        'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON TABLE "public"."agents_kill_switch" FROM "agents_app"',
        `COMMENT ON ROLE "agents_app" IS 'pgharden plan office-vpn: roles/create-agents_app roles/grant-agents_app-workspace'`,
      ],
    });
    expect(JSON.stringify(plan)).not.toContain(PASSWORD);
    expect(JSON.stringify(plan)).not.toContain('SCRAM-SHA-256$');
  });

  it('sets password_encryption with ALTER SYSTEM outside a transaction, and undoes it by putting postgresql.auto.conf back (no login)', async () => {
    const input = await storyInput();
    const pe = buildPlan(input).steps.find((s) => s.id === 'roles/password-encryption')!;
    expect(sql(pe)).toEqual(["ALTER SYSTEM SET password_encryption = 'scram-sha-256'"]);
    expect(pe.transactional).toBe(false);
    expect(pe.undo).toEqual({
      do: 'restore-file',
      path: '/pg/data/postgresql.auto.conf',
      backup: 'backup/03-postgresql.auto.conf',
    });
    // No postgresql.auto.conf to put back: the undo resets the setting instead.
    const absent = buildPlan({
      ...input,
      autoConf: { ...input.autoConf, sha256: null, mode: null, uid: null, gid: null },
    }).steps.find((s) => s.id === 'roles/password-encryption')!;
    expect(absent.undo).toEqual({
      do: 'sql',
      database: 'postgres',
      statements: ['ALTER SYSTEM RESET password_encryption'],
    });
  });

  it('undoes each file step from the backup or to the mode it had, and keeps a symlink a link', async () => {
    const input = await storyInput();
    const plan = buildPlan(input);
    const undo = (id: string) => plan.steps.find((s) => s.id === id)!.undo;
    expect(undo('canary/hba')).toEqual({
      do: 'restore-file',
      path: '/pg/data/pg_hba.conf',
      backup: 'backup/01-pg_hba.conf',
    });
    expect(undo('flip/hba')).toEqual(undo('canary/hba'));
    expect(undo('flip/mode-postgresql.conf')).toEqual({
      do: 'chmod',
      path: '/pg/data/postgresql.conf',
      mode: input.configFile.mode,
    });
    const linked = {
      ...input,
      consumers: input.consumers.map((c) => ({ ...c, binding: { ...c.binding, link: '/srv/shared/agents.env' } })),
    };
    expect(buildPlan(linked).steps.find((s) => s.id === 'consumers/agents/rewrite')!.undo).toEqual({
      do: 'restore-file',
      path: '/srv/agents/.env',
      backup: 'backup/05-.env',
      link: '/srv/shared/agents.env',
    });
  });

  it('records the consumer file by hash only, and chmods the world-readable postgresql.conf to 0600', async () => {
    const plan = buildPlan(await storyInput());
    const rewrite = plan.steps.find((s) => s.id === 'consumers/agents/rewrite')!;
    expect(rewrite.forward).toEqual({
      do: 'rewrite-consumer',
      path: '/srv/agents/.env',
      format: 'env',
      key: 'DATABASE_URL',
      role: 'agents_app',
      oldUser: 'postgres',
    });
    expect(rewrite.undo).toEqual({ do: 'restore-file', path: '/srv/agents/.env', backup: 'backup/05-.env' });
    expect(plan.steps.find((s) => s.id === 'flip/mode-postgresql.conf')!.forward).toEqual({
      do: 'chmod',
      path: '/pg/data/postgresql.conf',
      mode: 0o600,
    });
  });

  it('verifies the negative matrix: the superuser is refused over TCP, everyone else is asked for a password', async () => {
    const plan = buildPlan(await storyInput());
    const f = plan.steps.find((s) => s.id === 'verify/passwordless')!.forward;
    expect(f.do === 'probe' && f.checks).toEqual([
      {
        check: 'auth',
        user: 'agents_app',
        database: 'postgres',
        from: { address: '127.0.0.1' },
        expect: 'password-required',
      },
      {
        check: 'auth',
        user: 'agents_app',
        database: 'postgres',
        from: { address: '127.10.0.1', range: '127.10.0.0/16' },
        expect: 'password-required',
      },
      {
        check: 'auth',
        user: 'legacy_app',
        database: 'postgres',
        from: { address: '127.0.0.1' },
        expect: 'password-required',
      },
      {
        check: 'auth',
        user: 'legacy_app',
        database: 'postgres',
        from: { address: '127.10.0.1', range: '127.10.0.0/16' },
        expect: 'password-required',
      },
      { check: 'auth', user: 'postgres', database: 'postgres', from: { address: '127.0.0.1' }, expect: 'refused' },
      {
        check: 'auth',
        user: 'postgres',
        database: 'postgres',
        from: { address: '127.10.0.1', range: '127.10.0.0/16' },
        expect: 'refused',
      },
      {
        check: 'auth',
        user: 'reporting',
        database: 'postgres',
        from: { address: '127.0.0.1' },
        expect: 'password-required',
      },
      {
        check: 'auth',
        user: 'reporting',
        database: 'postgres',
        from: { address: '127.10.0.1', range: '127.10.0.0/16' },
        expect: 'password-required',
      },
    ]);
    const priv = plan.steps.find((s) => s.id === 'verify/privileges-reporting-workspace')!.forward;
    expect(priv.do === 'probe' && priv.checks.map((c) => c.check === 'privilege' && `${c.expect} ${c.sql}`)).toEqual([
      'denied CREATE TABLE "public".pgharden_probe (id int)',
      'allowed SELECT 1 FROM "public"."agents" LIMIT 1',
      'denied INSERT INTO "public"."agents" SELECT * FROM "public"."agents" WHERE false',
      'denied UPDATE "public"."agents" SET "id" = "id" WHERE false',
      'denied DELETE FROM "public"."agents" WHERE false',
      'denied ALTER TABLE "public"."agents" ADD COLUMN pgharden_probe int',
      'denied DROP TABLE "public"."agents"',
      'denied TRUNCATE "public"."agents"',
    ]);
  });

  it('lists the unmapped login roles with what the flip does to them', async () => {
    expect(buildPlan(await storyInput()).unmapped).toEqual([
      {
        role: 'postgres',
        superuser: true,
        fate: 'refused over the network; local socket only (peer, for the OS user of the same name)',
      },
      {
        role: 'legacy_app',
        superuser: false,
        fate: 'cannot log in over the network any more: its password is stored as md5, which scram-sha-256 cannot check; set it again (\\password) once password_encryption is scram-sha-256',
      },
    ]);
  });

  it('has an id that is the hash of its content, and a shell rollback needing no pgharden', async () => {
    const plan = buildPlan(await storyInput());
    expect(plan.id).toMatch(/^[0-9a-f]{64}$/);
    expect(planId(plan)).toBe(plan.id);
    expect(planId({ ...plan, name: 'other' })).not.toBe(plan.id);
    expect(plan.rollback.command).toBe('pgharden rollback /srv/plans/office-vpn');
    expect(plan.rollback.shell).toBe(
      [
        'cd "$(dirname "$0")"',
        `verify_backup 'backup/01-pg_hba.conf' ${'a'.repeat(64)}`,
        `verify_backup 'backup/02-postgresql.conf' ${'b'.repeat(64)}`,
        `verify_backup 'backup/03-postgresql.auto.conf' ${'c'.repeat(64)}`,
        `verify_backup 'backup/04-pg_ident.conf' ${'d'.repeat(64)}`,
        `verify_backup 'backup/05-.env' ${'e'.repeat(64)}`,
        "cp -p 'backup/01-pg_hba.conf' '/pg/data/pg_hba.conf'",
        "cp -p 'backup/02-postgresql.conf' '/pg/data/postgresql.conf'",
        "cp -p 'backup/03-postgresql.auto.conf' '/pg/data/postgresql.auto.conf'",
        "cp -p 'backup/04-pg_ident.conf' '/pg/data/pg_ident.conf'",
        "cp -p 'backup/05-.env' '/srv/agents/.env'",
      ].join(' && '),
    );
    // No bare kill of whatever postmaster.pid holds: rollback.sh signals only a proven postmaster.
    expect(plan.rollback.shell).not.toContain('kill');
  });
});

describe('buildPlan without a verified backup', () => {
  it('leaves the dump and drill out only when asked, and says so first among the notices', async () => {
    const plan = buildPlan(await storyInput({ skipBackup: true }));
    expect(plan.steps.some((s) => s.id === 'preflight/verified-backup')).toBe(false);
    expect(plan.backup).toEqual({ skipped: true, databases: [] });
    expect(plan.notices[0]).toMatch(/^BACKUP SKIPPED \(--skip-backup\)/);
    const normal = buildPlan(await storyInput());
    expect(normal.backup).toEqual({ skipped: false, databases: ['workspace'] });
    expect(normal.steps.find((s) => s.id === 'preflight/verified-backup')!.forward).toEqual({
      do: 'verified-backup',
      databases: ['workspace'],
      dir: 'backup/dumps',
    });
  });
});

describe('buildPlan refuses, listing every reason', () => {
  it('names existing roles it cannot take over, missing databases and tables, unknown templates', async () => {
    const input = await storyInput({
      snapshot: storySnapshot(undefined, [
        role('postgres', { superuser: true }),
        role('agents_app', { superuser: true, createdb: true }),
      ]),
    });
    input.spec.roles[0]!.readOnlyTables = ['no_such_table'];
    input.spec.roles[1]!.template = 'owner-of-everything';
    input.spec.roles[1]!.databases = ['shop'];
    const err = caught<PlanError>(() => buildPlan(input));
    expect(err).toBeInstanceOf(PlanError);
    expect(err.refused).toBe(false);
    expect(err.problems).toEqual([
      'roles[0].name: role "agents_app" exists with SUPERUSER CREATEDB, which a least-privilege login does not have; pgharden takes over an existing role only as it is: change it first (ALTER ROLE "agents_app" LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS), or choose another name',
      'roles[0].readOnlyTables: no table "no_such_table" in database "workspace" (schema public)',
      'roles[1].template: no template "owner-of-everything" (available: app-readwrite, migrator, readonly)',
      'roles[1].databases: database "shop" does not exist or does not allow connections (there are: postgres, workspace)',
      'consumer "agents" would move from postgres to role "agents_app", which exists already: pgharden never reads back a password, so moving a consumer onto an existing role means giving that role a new password and rewriting every consumer of it (a rotation: pgharden plan --spec FILE --rotate agents_app); or point the consumer at a new role',
    ]);
  });

  it('refuses (exit 3) when a continued rule would keep trust after the flip', async () => {
    const hba = 'local all all trust\nhost all all 127.10.0.0/16 \\\n  trust\n';
    const input = await storyInput({ snapshot: storySnapshot(hba) });
    const err = caught<PlanError>(() => buildPlan(input));
    expect(err.refused).toBe(true);
    expect(err.problems.join('\n')).toContain('would still get trust');
  });

  it('refuses when trust would stay for one database only', async () => {
    const hba = 'local all all trust\nhost workspace all 127.10.0.0/16 \\\n  trust\nhost all all 127.10.0.0/16 trust\n';
    const input = await storyInput({ snapshot: storySnapshot(hba) });
    expect(() => buildPlan(input)).toThrow(/to database workspace would still get trust/);
  });

  it('refuses when pg_hba.conf has an error line', async () => {
    const input = await storyInput({ snapshot: storySnapshot('local all all trust\nhost all all 10.0.0.0/8 md6\n') });
    expect(() => buildPlan(input)).toThrow(/pg_hba.conf:2: invalid authentication method "md6"/);
  });
});
