import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../../src/cluster/introspect.js';
import { buildRotationPlan, type Rotation, type RotationInput } from '../../../src/plan/rotate.js';
import { partnerOf } from '../../../src/plan/rotate-partner.js';
import type { Spec } from '../../../src/spec/spec.js';

const spec = {
  target: {},
  network: { trustedRanges: ['10.8.0.0/24'], superuser: 'local-only' },
  configFileMode: '0600',
  roles: [{ name: 'app', template: 'app-readwrite', databases: ['workspace'], schema: 'public', readOnlyTables: [] }],
  consumers: [
    {
      name: 'agents',
      file: 'agents.env',
      key: 'DATABASE_URL',
      role: 'app',
      application: 'agents',
      drainTimeout: 30,
      reload: ['true'],
    },
  ],
} as unknown as Spec;

function input(rotation: Partial<Rotation>): RotationInput {
  return {
    name: 'rot',
    planDir: '/plans/rot',
    createdAt: '2026-12-04T00:00:00.000Z',
    version: 'test',
    target: {},
    snapshot: { systemIdentifier: '1' } as Snapshot,
    matrix: { database: 'workspace', sources: [], roles: [], cells: {} } as unknown as RotationInput['matrix'],
    server: {
      major: 15,
      version: '15',
      hbaFile: '/pg/pg_hba.conf',
      configFile: '/pg/postgresql.conf',
      autoConfFile: '/pg/postgresql.auto.conf',
      dataDirectory: '/pg',
      adminRole: 'postgres',
      socketDir: '/tmp',
    },
    port: 5432,
    spec,
    rotations: [
      {
        role: 'app',
        from: 'app',
        to: 'app_alt',
        toExists: false,
        oldPasswordKnown: true,
        oldVerifierKnown: true,
        ...rotation,
      },
    ],
    consumers: [
      {
        name: 'agents',
        path: '/srv/agents.env',
        format: 'text',
        key: 'DATABASE_URL',
        role: 'app',
        database: 'workspace',
        rewritten: 'DATABASE_URL=postgres://app_alt:x@h/workspace\n',
        binding: { path: '/srv/agents.env', sha256: 'a'.repeat(64), mode: 0o640, uid: 0, gid: 0 },
      },
    ],
    secretsSha256: 'b'.repeat(64),
  };
}

const sql = (p: ReturnType<typeof buildRotationPlan>, id: string) => {
  const f = p.steps.find((s) => s.id === id)!;
  return { forward: f.forward.do === 'sql' ? f.forward.statements : f.forward, undo: f.undo };
};

describe('rotation plan', () => {
  it('names the partner login', () => {
    expect(partnerOf('agents_app')).toBe('agents_app_alt');
  });

  it('gives the new password to the login not in use, moves consumers, drains, then retires the old login', () => {
    const p = buildRotationPlan(input({}));
    expect(p.steps.map((s) => s.id)).toEqual([
      'preflight/lock',
      'preflight/backup',
      'preflight/admin-path',
      'roles/rotate-app_alt',
      'consumers/agents/rewrite',
      'consumers/agents/reload',
      'consumers/agents/drain',
      'flip/drained-app',
      'flip/retire-app',
      'verify/rotation',
    ]);
    expect(sql(p, 'roles/rotate-app_alt')).toEqual({
      forward: [
        `CREATE ROLE "app_alt" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT IN ROLE "app" PASSWORD '<secret:app_alt>'`,
      ],
      undo: { do: 'sql', database: 'postgres', statements: ['DROP ROLE IF EXISTS "app_alt"'] },
    });
    expect(sql(p, 'flip/retire-app')).toEqual({
      forward: ['ALTER ROLE "app" NOLOGIN PASSWORD NULL'],
      undo: { do: 'sql', database: 'postgres', statements: [`ALTER ROLE "app" LOGIN PASSWORD '<secret:app>'`] },
    });
    const verify = p.steps.at(-1)!.forward;
    expect(verify.do === 'probe' && verify.checks).toEqual([
      {
        check: 'login',
        role: 'app_alt',
        database: 'workspace',
        from: { address: '10.8.0.1', range: '10.8.0.0/24' },
        expect: 'ok',
      },
      {
        check: 'login',
        role: 'app',
        database: 'workspace',
        from: { address: '10.8.0.1', range: '10.8.0.0/24' },
        expect: 'refused',
      },
      { check: 'consumer-dsn', consumer: 'agents', path: '/srv/agents.env', expect: 'ok' },
    ]);
    expect(p.consumers).toEqual([
      {
        name: 'agents',
        path: '/srv/agents.env',
        format: 'text',
        key: 'DATABASE_URL',
        role: 'app_alt',
        oldUser: 'app',
        database: 'workspace',
      },
    ]);
    expect(p.passwords).toEqual({ maxAgeDays: null, set: [{ role: 'app_alt', step: 'roles/rotate-app_alt' }] });
    expect(p.roles).toEqual([]);
    expect(p.purpose).toBe('rotate');
    expect(JSON.stringify(p)).not.toMatch(/SCRAM-SHA-256\$/);
  });

  it('goes back to the spec role with ALTER ROLE, and leaves out what it cannot prove or restore', () => {
    const p = buildRotationPlan(
      input({ from: 'app_alt', to: 'app', toExists: true, oldPasswordKnown: false, oldVerifierKnown: false }),
    );
    expect(sql(p, 'roles/rotate-app')).toEqual({
      forward: [
        `ALTER ROLE "app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD '<secret:app>'`,
      ],
      undo: { do: 'sql', database: 'postgres', statements: ['ALTER ROLE "app" NOLOGIN PASSWORD NULL'] },
    });
    expect(sql(p, 'flip/retire-app_alt').undo).toEqual({
      do: 'sql',
      database: 'postgres',
      statements: ['ALTER ROLE "app_alt" LOGIN'],
    });
    const verify = p.steps.at(-1)!.forward;
    expect(verify.do === 'probe' && verify.checks.filter((c) => c.check === 'login' && c.expect === 'refused')).toEqual(
      [],
    );
    expect(p.notices[1]).toBe("No consumer file holds app_alt's password: that the server refuses it is not probed.");
  });

  it('re-grants the spec role to an existing partner', () => {
    const p = buildRotationPlan(input({ toExists: true }));
    expect(sql(p, 'roles/rotate-app_alt').forward).toEqual([
      `ALTER ROLE "app_alt" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD '<secret:app_alt>'`,
      'GRANT "app" TO "app_alt"',
    ]);
  });
});
