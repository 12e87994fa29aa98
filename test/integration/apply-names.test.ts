/**
 * Role and database names with spaces, quotes, commas and a backslash go through plan, apply
 * and a second apply: every pg_hba.conf line quotes them, each step's commit mark is found again
 * (the second apply runs nothing), and the new role logs in with its password under scram.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFrom } from '../../src/connect/from-address.js';
import { startStoryCluster, VPN_DEVICE, VPN_RANGE } from '../../src/scratch/story.js';
import { testedInstalls, type Cluster } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';
import { hasDumpTools } from '../support/story-plan.js';

const ROLE = `my "odd", app's\\`;
const DB = 'work space-1';

describe.each(testedInstalls())('odd names on PostgreSQL $major', (install) => {
  let c: Cluster;
  let dir: string;

  beforeAll(async () => {
    c = await startStoryCluster(install);
    await c.query(`CREATE DATABASE "${DB}"`);
    dir = mkdtempSync(join(tmpdir(), 'pgharden-names-'));
  });
  afterAll(async () => {
    await c?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('are quoted in pg_hba.conf, found in their marks, and log in', async () => {
    writeFileSync(
      join(dir, 'h.json'),
      JSON.stringify({
        target: { dsn: `postgres://postgres@127.0.0.1:${c.port}/postgres` },
        network: { trustedRanges: [VPN_RANGE] },
        roles: [{ name: ROLE, template: 'readonly', databases: [DB] }],
      }),
    );
    const planDir = join(dir, 'plans', 'odd');
    const plan = pgharden([
      'plan',
      '--spec',
      join(dir, 'h.json'),
      '--out',
      planDir,
      ...(hasDumpTools(install.major) ? [] : ['--skip-backup']),
    ]);
    expect(plan.code, plan.stderr).toBe(0);
    const applied = pgharden(['apply', planDir, '--yes']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(readFileSync(c.hbaFile, 'utf8')).toContain(
      `host    "${DB}"  "my ""odd"", app's\\" 127.10.0.0/16           scram-sha-256`,
    );
    const again = pgharden(['apply', planDir, '--yes']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const secrets = JSON.parse(readFileSync(join(planDir, 'secrets'), 'utf8')) as {
      roles: Record<string, { password: string }>;
    };
    const app = clientFrom(VPN_DEVICE, {
      host: '127.0.0.1',
      port: c.port,
      user: ROLE,
      database: DB,
      password: secrets.roles[ROLE]!.password,
    });
    await app.connect();
    expect((await app.query('SELECT current_user AS u')).rows[0]).toEqual({ u: ROLE });
    await app.end();
  });
});
