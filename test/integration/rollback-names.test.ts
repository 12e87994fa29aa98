/**
 * Roles whose names need quoting (mixed case, quotes, a leading slash) are applied and rolled back
 * completely: the undo finds each role by its exact name, never through a `::regrole` cast, which
 * folds case or fails on quotes. Afterwards the roles are gone and every file is byte-identical.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStoryCluster, VPN_RANGE } from '../../src/scratch/story.js';
import { testedInstalls, type Cluster } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';
import { fileIdentity, hasDumpTools } from '../support/story-plan.js';

const ROLES = ['AppUser', `o'brien "x"`, '/^.*$'];

describe.each(testedInstalls())('names that need quoting, rolled back on PostgreSQL $major', (install) => {
  let c: Cluster;
  let dir: string;

  beforeAll(async () => {
    c = await startStoryCluster(install);
    dir = mkdtempSync(join(tmpdir(), 'pgharden-rollback-names-'));
  });
  afterAll(async () => {
    await c?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('are applied, verified and rolled back completely', async () => {
    const files = [c.hbaFile, c.confFile, join(c.dataDir, 'postgresql.auto.conf')];
    const before = fileIdentity(files);
    writeFileSync(
      join(dir, 'h.json'),
      JSON.stringify({
        target: { dsn: `postgres://postgres@127.0.0.1:${c.port}/postgres` },
        network: { trustedRanges: [VPN_RANGE] },
        roles: ROLES.map((name) => ({ name, template: 'app-readwrite', databases: ['workspace'] })),
      }),
    );
    const planDir = join(dir, 'plans', 'quoted');
    const plan = pgharden([
      'plan',
      '--spec',
      join(dir, 'h.json'),
      '--out',
      planDir,
      ...(hasDumpTools(install.major) ? [] : ['--skip-backup']),
    ]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    const applied = pgharden(['apply', planDir, '--yes']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const roles = async () =>
      (await c.query<{ r: string }>('SELECT rolname AS r FROM pg_roles WHERE rolname = ANY($1)', [ROLES]))
        .map((x) => x.r)
        .sort();
    expect(await roles()).toEqual([...ROLES].sort());

    const back = pgharden(['rollback', planDir]);
    expect(back.stdout + back.stderr).not.toContain('kept');
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect(await roles()).toEqual([]);
    expect(fileIdentity(files)).toEqual(before);
  });
});
