import { describe, expect, it } from 'vitest';
import type { PlanError } from '../../../src/plan/input.js';
import { resolveRadiusNames } from '../../../src/hba/radius-names.js';
import { buildPlan } from '../../../src/plan/planner.js';
import { STORY_HBA } from '../../../src/scratch/story.js';
import { markComment } from '../../../src/plan/stage-roles.js';
import { role, storyInput, storySnapshot, storySpec } from './fixtures.js';
import { thrownOrNull } from '../../support/caught.js';

const problemsOf = (f: () => unknown) => thrownOrNull<PlanError>(f)?.problems ?? [];

describe('plan-time input checks', () => {
  it("refuses a schema that does not exist in a role's database", async () => {
    const spec = storySpec();
    spec.roles[1]!.schema = 'reports';
    const input = await storyInput({ spec, schemas: new Map([['workspace', ['public']]]) });
    expect(problemsOf(() => buildPlan(input))).toEqual([
      'roles[1].schema: no schema "reports" in database "workspace"; create it first (CREATE SCHEMA), or name an existing one',
    ]);
  });

  it('refuses an admin role that is not a superuser, with every other reason', async () => {
    const snapshot = storySnapshot(undefined, [
      role('postgres', { superuser: false }),
      role('boss', { superuser: true }),
    ]);
    const spec = storySpec();
    spec.roles[0]!.name = 'bad"name, x';
    const input = await storyInput({ snapshot, spec });
    const problems = problemsOf(() => buildPlan(input));
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^the admin role "postgres" .* is not a superuser/)]),
    );
  });

  it('refuses names a Latin-1 pg_hba.conf cannot hold, and server names with a newline', async () => {
    const spec = storySpec();
    spec.roles[0]!.name = 'agents_λ';
    const snapshot = storySnapshot(undefined, [
      role('postgres', { superuser: true }),
      role('evil\nhost all all 0.0.0.0/0 trust', { superuser: true }),
    ]);
    const base = await storyInput({ spec, snapshot });
    const input = { ...base, hba: { ...base.hba, encoding: 'latin1' as const } };
    expect(problemsOf(() => buildPlan(input))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^roles\[0\]\.name: "agents_λ" cannot be written into \/pg\/data\/pg_hba\.conf, which is not UTF-8/,
        ),
        expect.stringMatching(/^superuser: "evil\\nhost all all 0\.0\.0\.0\/0 trust" holds a control character/),
      ]),
    );
  });

  it('quotes odd names in every pg_hba.conf line and keeps each step findable in its mark', async () => {
    const spec = storySpec();
    spec.roles[0]!.name = 'my "odd", app\\';
    spec.consumers = [];
    const snapshot = storySnapshot(undefined, [
      role('postgres', { superuser: true }),
      role('root boss', { superuser: true }),
    ]);
    const plan = buildPlan(await storyInput({ spec, snapshot, consumers: [] }));
    const flip = plan.steps.find((s) => s.id === 'flip/hba')!.forward;
    if (flip.do !== 'write-file') throw new Error('flip writes no file');
    const added = flip.content.split('\n').filter((l) => l.includes('odd') || l.includes('boss'));
    expect(added).toEqual([
      'host    all             postgres,"root boss" 0.0.0.0/0               reject  # pgharden: superusers are local-only',
      'host    all             postgres,"root boss" ::/0                    reject  # pgharden: superusers are local-only',
      'host    workspace       "my ""odd"", app\\" 127.10.0.0/16           scram-sha-256  # pgharden: canary for the new role "my ""odd"", app\\"',
    ]);
    const roleSteps = plan.steps.filter((s) => s.stage === 'roles' && s.id !== 'roles/password-encryption');
    const mark = markComment(
      plan.name,
      roleSteps.filter((s) => s.id.includes('odd')).map((s) => s.id),
    );
    // How a resumed run reads a mark (src/execute/observe.ts): words split on whitespace.
    for (const s of roleSteps.filter((x) => x.id.includes('odd'))) expect(mark.split(/\s+/)).toContain(s.id);
    expect(roleSteps.map((s) => s.id)).toContain('roles/create-my%20"odd",%20app\\');
  });

  it('keeps step ids of roles and databases with "-" apart', async () => {
    const spec = storySpec();
    spec.roles = [
      { name: 'a-b', template: 'readonly', databases: ['c'], schema: 'public', readOnlyTables: [] },
      { name: 'a', template: 'readonly', databases: ['b-c'], schema: 'public', readOnlyTables: [] },
    ];
    spec.consumers = [];
    const snapshot = { ...storySnapshot(), databases: ['postgres', 'c', 'b-c'] };
    const ids = buildPlan(await storyInput({ spec, snapshot, consumers: [] }))
      .steps.map((s) => s.id)
      .filter((id) => id.startsWith('roles/grant'));
    expect(ids).toEqual(['roles/grant-a%2Db-c', 'roles/grant-a-b%2Dc']);
  });
});

describe('plan-time input checks: lines the server fails only in its log', () => {
  it('refuses a pg_hba.conf whose RADIUS server name does not resolve, naming the line and the logged message', async () => {
    const snapshot = storySnapshot(
      `${STORY_HBA}host all all 10.9.0.0/16 radius radiusservers=nosuch.invalid radiussecrets=s\n`,
    );
    const line = STORY_HBA.split('\n').length;
    const pass = await resolveRadiusNames(
      snapshot.hba.loaded!,
      snapshot.context,
      async () => 'Name or service not known',
    );
    const input = await storyInput({ snapshot: { ...snapshot, hba: { ...snapshot.hba, loaded: pass.loaded } } });
    expect(problemsOf(() => buildPlan(input))).toContain(
      `/pg/data/pg_hba.conf:${line}: could not translate RADIUS server name "nosuch.invalid" to address: Name or service not known (only in the server log); fix the line first (pgharden inspect hba /pg/data/pg_hba.conf)`,
    );
  });
});
