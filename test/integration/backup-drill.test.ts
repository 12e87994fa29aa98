/**
 * The restore drill's scratch databases belong to the run that made them: a user's database with
 * the old fixed drill name survives, two verified backups at once both succeed, and a drill
 * database left by a killed run is dropped by the next run (the backup job's ledger, apply's
 * journal) and nothing else is.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testedInstalls } from '../support/cluster.js';
import { CLI, pgharden, pghardenAsync } from '../support/cli.js';
import { hasDumpTools, makeStoryPlan, storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';

const withTools = testedInstalls().filter((i) => hasDumpTools(i.major));

/** Starts `pgharden ARGS` and SIGKILLs it as soon as a drill database exists; resolves with that database's name. */
async function killDuringDrill(s: StoryPlanSetup, args: string[]): Promise<string> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: 'ignore' });
  const exited = new Promise((r) => child.on('close', r));
  try {
    for (let i = 0; i < 3000; i++) {
      const [d] = await s.cluster.query<{ d: string }>(
        "SELECT datname AS d FROM pg_database WHERE datname LIKE '%pgharden_drill%'",
      );
      if (d) {
        child.kill('SIGKILL');
        await exited;
        return d.d;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error('no drill database appeared');
  } finally {
    child.kill('SIGKILL');
  }
}

describe.each(withTools)('restore drill databases on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  const drills = async () =>
    (
      await s.cluster.query<{ d: string }>(
        "SELECT datname AS d FROM pg_database WHERE datname LIKE '%pgharden_drill%' ORDER BY 1",
      )
    ).map((r) => r.d);
  beforeAll(async () => {
    s = await storyWithConsumers(install);
    // More data, so the restore takes long enough to be caught in the middle.
    await s.workspace.query(
      "CREATE TABLE filler AS SELECT g AS id, repeat('x', 200) AS pad FROM generate_series(1, 200000) g",
    );
  });
  afterAll(async () => s?.cleanup());

  it("never drops a user's database named like the old drill database", async () => {
    await s.cluster.query('CREATE DATABASE workspace__pgharden_drill');
    const c = await s.cluster.connect({ database: 'workspace__pgharden_drill' });
    await c.query("CREATE TABLE precious AS SELECT 'keep me' AS what");
    await c.end();
    const r = pgharden([
      'backup',
      '--out',
      join(s.dir, 'nightly-user'),
      '--verify',
      '--databases',
      'workspace',
      '--dsn',
      s.dsn,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const u = await s.cluster.connect({ database: 'workspace__pgharden_drill' });
    expect((await u.query('SELECT what FROM precious')).rows).toEqual([{ what: 'keep me' }]);
    await u.end();
    await s.cluster.query('DROP DATABASE workspace__pgharden_drill');
    expect(await drills()).toEqual([]);
  });

  it('runs two verified backups of the same database at once, both verified', async () => {
    const [a, b] = await Promise.all(
      ['nightly-a', 'nightly-b'].map((d) =>
        pghardenAsync(['backup', '--out', join(s.dir, d), '--verify', '--databases', 'workspace', '--dsn', s.dsn]),
      ),
    );
    for (const r of [a!, b!]) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Backup done and verified');
    }
    expect(await drills()).toEqual([]);
  });

  it('drops the drill database a killed backup left, on the next run (even one without --verify)', async () => {
    const out = join(s.dir, 'nightly-killed');
    const left = await killDuringDrill(s, [
      'backup',
      '--out',
      out,
      '--verify',
      '--databases',
      'workspace',
      '--dsn',
      s.dsn,
    ]);
    expect(await drills()).toContain(left);
    const r = pgharden(['backup', '--out', out, '--databases', 'postgres', '--dsn', s.dsn]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Dropped ${left}, left by a run that was killed during its restore drill`);
    expect(await drills()).toEqual([]);
    expect(existsSync(join(out, 'drills'))).toBe(false);
  });

  it('drops the drill database a killed apply left, on resume; rollback drops one too', async () => {
    const plan = makeStoryPlan(s, 'killed-drill');
    const left = await killDuringDrill(s, ['apply', plan, '--yes']);
    expect(await drills()).toEqual([left]);
    const resumed = await pghardenAsync(['apply', plan, '--yes']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`dropped ${left}, left by a run killed during its restore drill`);
    expect(await drills()).toEqual([]);
    expect(pgharden(['rollback', plan]).code).toBe(0);

    const again = makeStoryPlan(s, 'killed-drill-rollback');
    const left2 = await killDuringDrill(s, ['apply', again, '--yes']);
    const r = pgharden(['rollback', again]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`dropped ${left2}`);
    expect(await drills()).toEqual([]);
  });
});
