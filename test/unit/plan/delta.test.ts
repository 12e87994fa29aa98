import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../../src/plan/planner.js';
import type { PlanInput } from '../../../src/plan/input.js';
import type { Plan } from '../../../src/plan/plan-types.js';
import { parseHba } from '../../../src/conf/hba.js';
import { requireTls } from '../../../src/plan/tls-hba.js';
import { role, storyInput, storySnapshot } from './fixtures.js';

const content = (p: Plan, id: string) => {
  const f = p.steps.find((s) => s.id === id)!.forward;
  if (f.do !== 'write-file') throw new Error(`${id} writes no file`);
  return f.content;
};

const readWrite = ['delete', 'insert', 'select', 'update'];

/** The story's cluster the day after its first apply: the flipped file, the roles, the consumer moved. */
async function dayTwo(over: (i: PlanInput) => void = () => undefined): Promise<PlanInput> {
  const flipped = content(buildPlan(await storyInput()), 'flip/hba');
  const snapshot = storySnapshot(flipped, [
    role('postgres', { superuser: true, password: 'none' }),
    role('agents_app', { password: 'scram-sha-256' }),
    role('reporting', { password: 'scram-sha-256' }),
  ]);
  snapshot.settings.password_encryption = 'scram-sha-256';
  const base = await storyInput({ snapshot });
  const input: PlanInput = {
    ...base,
    configFile: { ...base.configFile, mode: 0o600 },
    autoConf: { ...base.autoConf, settings: { password_encryption: 'scram-sha-256' } },
    consumers: [],
    consumersInSync: [{ name: 'agents', path: '/srv/agents/.env', role: 'agents_app' }],
    pghardenRoles: ['agents_app', 'reporting'],
    privileges: new Map([
      [
        'agents_app',
        new Map([
          [
            'workspace',
            {
              '"public"."agents"': readWrite,
              '"public"."agents_kill_switch"': ['select'],
              '"public"."tasks"': readWrite,
            },
          ],
        ]),
      ],
      [
        'reporting',
        new Map([
          [
            'workspace',
            {
              '"public"."agents"': ['select'],
              '"public"."agents_kill_switch"': ['select'],
              '"public"."tasks"': ['select'],
            },
          ],
        ]),
      ],
    ]),
    spec: { ...base.spec, keep: [] },
  };
  over(input);
  return input;
}

const changing = (p: Plan) => p.steps.filter((s) => s.stage !== 'preflight' && s.stage !== 'verify').map((s) => s.id);

describe('the spec as desired state', () => {
  it('has nothing to do when the cluster matches the spec', async () => {
    const plan = buildPlan(await dayTwo());
    expect(changing(plan)).toEqual([]);
    expect(plan.nothingToDo).toBe(true);
    expect(plan.notices).toContain('consumer agents: /srv/agents/.env already connects as agents_app; left alone');
  });

  it('has nothing to do when pg_hba.conf requires TLS: hostssl scram-sha-256 with hostnossl reject asks for a password', async () => {
    const plan = buildPlan(
      await dayTwo((i) => {
        const context = { ...i.snapshot.context, ssl: true };
        const flipped = i.hba.lines.map((l) => l.raw).join('');
        const tls = requireTls(parseHba(flipped, { file: i.hba.file, context }), i.spec.network.trustedRanges).text;
        expect(tls).toContain('hostnossl');
        i.snapshot = { ...i.snapshot, context };
        i.hba = { ...i.hba, lines: parseHba(tls, { file: i.hba.file, context }) };
      }),
    );
    expect(changing(plan)).toEqual([]);
    expect(plan.nothingToDo).toBe(true);
  });

  it('plans only a new role and a new trusted range: no CREATE, GRANT or probe for what is in sync', async () => {
    const plan = buildPlan(
      await dayTwo((i) => {
        i.spec.network.trustedRanges = ['127.10.0.0/16', '127.20.0.0/16'];
        i.spec.roles.push({
          name: 'billing',
          template: 'readonly',
          databases: ['workspace'],
          schema: 'public',
          readOnlyTables: [],
        });
      }),
    );
    expect(plan.nothingToDo).toBeUndefined();
    expect(changing(plan)).toEqual([
      'roles/create-billing',
      'roles/grant-billing-workspace',
      'canary/hba',
      'canary/reload',
      'canary/probe-agents_app',
      'canary/probe-reporting',
      'canary/probe-billing',
    ]);
    const canary = content(plan, 'canary/hba');
    const before = plan.steps.find((s) => s.id === 'canary/hba')!;
    expect(before.before[0]).toMatchObject({ of: 'file' });
    // Only the new lines: the existing roles get the new range, billing gets both.
    expect(canary.match(/^host .*# pgharden: canary .*$/gm)).toEqual([
      'host    workspace       agents_app      127.20.0.0/16           scram-sha-256  # pgharden: canary for the role agents_app',
      'host    workspace       reporting       127.20.0.0/16           scram-sha-256  # pgharden: canary for the role reporting',
      'host    workspace       billing         127.10.0.0/16           scram-sha-256  # pgharden: canary for the new role billing',
      'host    workspace       billing         127.20.0.0/16           scram-sha-256  # pgharden: canary for the new role billing',
      'host    workspace       agents_app      127.10.0.0/16           scram-sha-256  # pgharden: canary for the new role agents_app',
      'host    workspace       reporting       127.10.0.0/16           scram-sha-256  # pgharden: canary for the new role reporting',
    ]);
    // The probe of a role taken over asks for a password, never logs in with one pgharden does not know.
    const probe = plan.steps.find((s) => s.id === 'canary/probe-agents_app')!.forward;
    expect(probe.do === 'probe' && probe.checks.map((c) => c.check)).toEqual(['auth']);
  });

  it('gives a role whose read-only tables changed only REVOKE and GRANT, with an undo to its exact privileges', async () => {
    const plan = buildPlan(await dayTwo((i) => (i.spec.roles[0]!.readOnlyTables = ['agents_kill_switch', 'tasks'])));
    expect(changing(plan)).toEqual(['roles/regrant-agents_app-workspace']);
    const step = plan.steps.find((s) => s.id === 'roles/regrant-agents_app-workspace')!;
    expect(step.forward.do === 'sql' && step.forward.statements.at(-1)).toBe(
      'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON TABLE "public"."tasks" FROM "agents_app"',
    );
    expect(step.undo).toEqual({
      do: 'sql',
      database: 'workspace',
      statements: [
        'REVOKE ALL ON ALL TABLES IN SCHEMA "public" FROM "agents_app"',
        'GRANT DELETE, INSERT, SELECT, UPDATE ON TABLE "public"."agents" TO "agents_app"',
        'GRANT SELECT ON TABLE "public"."agents_kill_switch" TO "agents_app"',
        'GRANT DELETE, INSERT, SELECT, UPDATE ON TABLE "public"."tasks" TO "agents_app"',
      ],
    });
    expect(plan.steps.some((s) => s.id === 'verify/privileges-agents_app-workspace')).toBe(true);
    expect(plan.steps.some((s) => s.id === 'verify/privileges-reporting-workspace')).toBe(false);
  });

  it('restores exactly a revoked sequence privilege and missing default privileges, and nothing when converged', async () => {
    const seqs = (agents: string[]) => ({
      '"public"."agents_id_seq"': agents,
      '"public"."tasks_id_seq"': ['select', 'usage'],
    });
    const grants = (agents: string[], defaults: string[], extra: string[] = []) =>
      new Map([
        [
          'agents_app',
          {
            memberOf: [],
            perDatabase: new Map([
              [
                'workspace',
                {
                  sequences: seqs([...agents, ...extra].sort()),
                  defaults: { tables: defaults, sequences: ['select', 'usage'] },
                },
              ],
            ]),
          },
        ],
      ]);
    const converged = buildPlan(await dayTwo((i) => (i.grants = grants(['select', 'usage'], readWrite))));
    expect(converged.nothingToDo).toBe(true);
    const plan = buildPlan(await dayTwo((i) => (i.grants = grants(['select'], ['select'], ['update']))));
    expect(changing(plan)).toEqual(['roles/restore-grants-agents_app-workspace']);
    const step = plan.steps.find((s) => s.id === 'roles/restore-grants-agents_app-workspace')!;
    expect(step.forward).toEqual({
      do: 'sql',
      database: 'workspace',
      statements: [
        'GRANT USAGE ON SEQUENCE "public"."agents_id_seq" TO "agents_app"',
        'REVOKE UPDATE ON SEQUENCE "public"."agents_id_seq" FROM "agents_app"',
        'ALTER DEFAULT PRIVILEGES IN SCHEMA "public" GRANT DELETE, INSERT, UPDATE ON TABLES TO "agents_app"',
      ],
    });
    expect(step.undo).toEqual({
      do: 'sql',
      database: 'workspace',
      statements: [
        'ALTER DEFAULT PRIVILEGES IN SCHEMA "public" REVOKE DELETE, INSERT, UPDATE ON TABLES FROM "agents_app"',
        'GRANT UPDATE ON SEQUENCE "public"."agents_id_seq" TO "agents_app"',
        'REVOKE USAGE ON SEQUENCE "public"."agents_id_seq" FROM "agents_app"',
      ],
    });
  });

  it('names a superuser created since the first plan in the reject lines, keeping the others', async () => {
    const plan = buildPlan(
      await dayTwo((i) => {
        i.snapshot.roles.push(role('admin2', { superuser: true }));
      }),
    );
    expect(changing(plan)).toEqual(['flip/hba', 'flip/reload']);
    expect(content(plan, 'flip/hba').match(/^host .*reject.*$/gm)).toEqual([
      'host    all             postgres,admin2 0.0.0.0/0               reject  # pgharden: superusers are local-only',
      'host    all             postgres,admin2 ::/0                    reject  # pgharden: superusers are local-only',
    ]);
  });

  it('retires the superuser login a consumer moved away from, unless the spec keeps it', async () => {
    const day1 = async (keep: string[]) => {
      const input = await storyInput({
        snapshot: storySnapshot(undefined, [
          role('postgres', { superuser: true, password: 'none' }),
          role('agent_app', { superuser: true }),
        ]),
      });
      input.consumers[0]!.oldUser = 'agent_app';
      input.spec.keep = keep;
      return buildPlan(input);
    };
    const plan = await day1([]);
    const ids = plan.steps.map((s) => s.id);
    expect(ids.slice(ids.indexOf('flip/reload') + 1, ids.indexOf('verify/passwordless'))).toEqual([
      'flip/drain-agent_app',
      'flip/retire-agent_app',
    ]);
    const retire = plan.steps.find((s) => s.id === 'flip/retire-agent_app')!;
    expect(retire.forward).toEqual({
      do: 'sql',
      database: 'postgres',
      statements: ['ALTER ROLE "agent_app" NOLOGIN NOSUPERUSER'],
    });
    expect(retire.undo).toEqual({
      do: 'sql',
      database: 'postgres',
      statements: ['ALTER ROLE "agent_app" LOGIN SUPERUSER'],
    });
    expect(retire.before).toEqual([{ of: 'role-attrs', name: 'agent_app', login: true, superuser: true }]);
    expect(plan.notices.find((n) => n.startsWith('RETIRED: agent_app'))).toContain(
      'consumer agents moved away from it',
    );
    expect((await day1(['agent_app'])).steps.some((s) => s.id.includes('retire'))).toBe(false);
  });

  it('retires a role an earlier plan created that left the spec', async () => {
    const plan = buildPlan(
      await dayTwo((i) => {
        i.spec.roles = i.spec.roles.filter((r) => r.name !== 'reporting');
      }),
    );
    expect(changing(plan)).toEqual(['flip/drain-reporting', 'flip/retire-reporting']);
    expect(plan.notices.find((n) => n.startsWith('RETIRED: reporting'))).toContain(
      'an earlier pgharden plan created it and the spec no longer names it',
    );
  });

  it('says a consumer that left the spec is left as it is', async () => {
    const plan = buildPlan(
      await dayTwo((i) => {
        i.removedConsumers = [{ name: 'weekly-report', path: '/srv/reports/db.yaml', role: 'reporting', plan: 'day1' }];
      }),
    );
    expect(plan.nothingToDo).toBe(true);
    expect(plan.notices).toContain(
      'consumer weekly-report: no longer in the spec (plan day1 moved it to reporting); /srv/reports/db.yaml is left as it is',
    );
  });

  it('plans from a server hardened by hand: takes over its scram rules and roles, adds only the superuser reject', async () => {
    const hba = [
      'local   all   postgres                 peer',
      'local   all   all                      scram-sha-256',
      'host    all   all      127.0.0.1/32    scram-sha-256',
      'host    all   all      127.10.0.0/16   scram-sha-256',
      '',
    ].join('\n');
    const plan = buildPlan(
      await dayTwo((i) => {
        i.snapshot = storySnapshot(hba, i.snapshot.roles);
        i.snapshot.settings.password_encryption = 'scram-sha-256';
        i.hba = { ...i.hba, lines: i.snapshot.hba.loaded!.files.get(i.hba.file)!.lines };
        i.pghardenRoles = [];
      }),
    );
    // No canary: the hand-written rules already ask both roles for a scram-sha-256 password.
    expect(changing(plan)).toEqual(['flip/hba', 'flip/reload']);
    expect(content(plan, 'flip/hba')).toBe(
      [
        'local   all   postgres                 peer',
        'local   all   all                      scram-sha-256',
        'host    all             postgres        0.0.0.0/0               reject  # pgharden: superusers are local-only',
        'host    all             postgres        ::/0                    reject  # pgharden: superusers are local-only',
        'host    all   all      127.0.0.1/32    scram-sha-256',
        'host    all   all      127.10.0.0/16   scram-sha-256',
        '',
      ].join('\n'),
    );
  });
});
