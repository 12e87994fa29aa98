/**
 * The plan's predictions, checked against the server before any executor exists: the roles
 * stage's SQL (with the verifier substituted, as apply will) runs as planned and leaves its
 * marks; every privilege check of the verify stage gets the answer the plan expects; the canary
 * and final pg_hba.conf texts load without error, and every passwordless probe the plan
 * predicts gets exactly that answer from the server. This test plays the executor's part by
 * hand, step by step, so a wrong prediction in the planner fails here.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFrom } from '../../src/connect/from-address.js';
import { startStoryCluster, VPN_RANGE } from '../../src/scratch/story.js';
import { probe } from '../../src/hba/probe.js';
import { makePlan } from '../../src/plan/make.js';
import type { Secrets } from '../../src/plan/secrets.js';
import { parseSpec } from '../../src/spec/spec.js';
import { SECRET_TOKEN, type Check, type Plan } from '../../src/plan/plan-types.js';
import { testedInstalls, type Cluster } from '../support/cluster.js';
import { hasDumpTools } from '../support/story-plan.js';

describe.each(testedInstalls())('the plan predicts what PostgreSQL $major does', (install) => {
  let c: Cluster;
  let dir: string;
  let plan: Plan;
  let secrets: Secrets;

  beforeAll(async () => {
    c = await startStoryCluster(install);
    dir = mkdtempSync(join(tmpdir(), 'pgharden-predict-'));
    writeFileSync(join(dir, 'agents.env'), `DATABASE_URL=postgres://postgres@127.0.0.1:${c.port}/workspace\n`);
    const spec = parseSpec(
      JSON.stringify({
        target: {},
        network: { trustedRanges: [VPN_RANGE] },
        roles: [
          {
            name: 'agents_app',
            template: 'app-readwrite',
            databases: ['workspace'],
            readOnlyTables: ['agents_kill_switch'],
          },
          { name: 'reporting', template: 'readonly', databases: ['workspace'] },
          { name: 'deployer', template: 'migrator', databases: ['workspace'] },
        ],
        consumers: [{ name: 'agents', file: 'agents.env', role: 'agents_app' }],
      }),
      'spec.json',
    );
    const made = await makePlan({
      spec,
      specFile: join(dir, 'spec.json'),
      out: join(dir, 'plan'),
      version: 'test',
      now: new Date(),
      connection: { dsn: `postgres://postgres@127.0.0.1:${c.port}/postgres` },
      ...(hasDumpTools(install.major) ? {} : { skipBackup: true }),
    });
    plan = made.plan;
    if (!made.dir) throw new Error('the story cluster matched the spec: no plan was written');
    secrets = (JSON.parse(readFileSync(join(made.dir, 'secrets'), 'utf8')) as { roles: Secrets }).roles;
  });
  afterAll(async () => {
    await c?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const step = (id: string) => plan.steps.find((s) => s.id === id)!;
  const checks = (id: string): Check[] => {
    const f = step(id).forward;
    return f.do === 'probe' ? f.checks : [];
  };

  it('runs the roles stage as planned, each step leaving its mark', async () => {
    for (const s of plan.steps.filter((x) => x.stage === 'roles')) {
      if (s.forward.do !== 'sql') continue;
      const client = await c.connect({ database: s.forward.database });
      try {
        if (s.transactional) await client.query('BEGIN');
        for (const sql of s.forward.statements)
          await client.query(sql.replace(SECRET_TOKEN, (_, role: string) => secrets[role]!.verifier));
        if (s.transactional) await client.query('COMMIT');
      } finally {
        await client.end();
      }
    }
    const marks = await c.query<{ r: string; d: string }>(
      "SELECT rolname AS r, shobj_description(oid, 'pg_authid') AS d FROM pg_roles WHERE rolname IN ('agents_app', 'reporting', 'deployer') ORDER BY 1",
    );
    for (const m of marks) {
      for (const s of plan.steps.filter((x) => x.after.some((a) => a.of === 'mark' && a.role === m.r)))
        expect(m.d).toContain(s.id);
    }
    expect(marks).toHaveLength(3);
    // The verifier, not a password, is what the server stores.
    const stored = await c.query<{ p: string }>("SELECT rolpassword AS p FROM pg_authid WHERE rolname = 'agents_app'");
    expect(stored[0]!.p).toBe(secrets.agents_app!.verifier);
  });

  it('expects exactly the privileges the server grants: DML as the template says, DDL and read-only writes refused', async () => {
    const ids = plan.steps.filter((s) => s.id.startsWith('verify/privileges-')).map((s) => s.id);
    expect(ids).toHaveLength(3);
    for (const id of ids) {
      for (const ch of checks(id)) {
        if (ch.check !== 'privilege') continue;
        const client = await c.connect({ user: ch.role, database: ch.database });
        let got: 'allowed' | 'denied';
        try {
          await client.query('BEGIN');
          got = await client.query(ch.sql).then(
            () => 'allowed' as const,
            (err: { code?: string }) => {
              expect(['42501', '42P01']).toContain(err.code); // insufficient_privilege (or no USAGE on the schema)
              return 'denied' as const;
            },
          );
          await client.query('ROLLBACK');
        } finally {
          await client.end();
        }
        expect(`${ch.role}: ${ch.sql} → ${got}`).toBe(`${ch.role}: ${ch.sql} → ${ch.expect}`);
      }
    }
  });

  const answer = async (ch: Extract<Check, { check: 'auth' }>) => {
    const r = await probe({
      host: '127.0.0.1',
      port: c.port,
      user: ch.user,
      database: ch.database,
      ...(ch.from === 'local' ? {} : { localAddress: ch.from.address }),
    });
    return r.kind === 'ok'
      ? 'ok'
      : r.kind === 'sasl' || r.kind === 'md5' || r.kind === 'password'
        ? 'password-required'
        : r.kind === 'error' && (r.class === 'no-entry' || r.class === 'rejected')
          ? 'refused'
          : `other: ${JSON.stringify(r)}`;
  };

  it('canary: the role-specific rules load, ask for a password, and admit the generated one', async () => {
    const f = step('canary/hba').forward;
    if (f.do !== 'write-file') throw new Error('canary/hba writes no file');
    c.writeFile(c.hbaFile, f.content);
    expect(await c.query('SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL')).toEqual([]);
    await c.reload();
    for (const ch of checks('canary/probe-agents_app')) {
      if (ch.check === 'auth') expect(await answer(ch)).toBe(ch.expect);
      if (ch.check === 'login' && ch.from !== 'local') {
        const client = clientFrom(ch.from.address, {
          host: '127.0.0.1',
          port: c.port,
          user: ch.role,
          database: ch.database,
          password: secrets[ch.role]!.password,
        });
        await client.connect();
        await client.end();
        const wrong = clientFrom(ch.from.address, {
          host: '127.0.0.1',
          port: c.port,
          user: ch.role,
          database: ch.database,
          password: 'not-the-password',
        });
        await expect(wrong.connect()).rejects.toThrow(/password authentication failed/);
      }
    }
  });

  it('flip: the final rules load, and every passwordless probe gets the answer the plan predicts', async () => {
    const f = step('flip/hba').forward;
    if (f.do !== 'write-file') throw new Error('flip/hba writes no file');
    c.writeFile(c.hbaFile, f.content);
    expect(await c.query('SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL')).toEqual([]);
    await c.reload();
    const auth = [
      ...checks('verify/passwordless'),
      ...step('flip/reload').verify,
      ...checks('verify/consumer-agents'),
    ].filter((x): x is Extract<Check, { check: 'auth' }> => x.check === 'auth' && x.from !== 'local');
    // Every login role is tried from every network source of the matrix: none is left out.
    const sources = plan.matrix.after.sources.filter((x) => x.label !== 'local' && x.label !== 'anywhere');
    expect(checks('verify/passwordless')).toHaveLength(plan.matrix.after.roles.length * sources.length);
    expect(auth.some((x) => x.expect === 'refused') && auth.some((x) => x.expect === 'password-required')).toBe(true);
    const got = await Promise.all(
      auth.map(
        async (x) => `${x.user}@${x.database} from ${(x.from as { address: string }).address}: ${await answer(x)}`,
      ),
    );
    expect(got).toEqual(
      auth.map((x) => `${x.user}@${x.database} from ${(x.from as { address: string }).address}: ${x.expect}`),
    );
  });
});
