/**
 * The verified backup, against a scratch cluster with several tables of known row counts:
 * apply's preflight dumps and drills before any change (a damaged dump or restore stops it with
 * nothing changed), concurrent inserts during the dump cause no false mismatch, and the nightly
 * `pgharden backup` job keeps exactly its retention set, copies off-box, writes its metrics and
 * refuses an overlapping run. Where no pg_dump fits the server's major, plan refuses and names
 * the package.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runName } from '../../src/backup/retention.js';
import { testedInstalls } from '../support/cluster.js';
import { pgharden, pghardenAsync } from '../support/cli.js';
import {
  fileIdentity,
  hasDumpTools,
  makeStoryPlan,
  serverState,
  storyWithConsumers,
  type StoryPlanSetup,
} from '../support/story-plan.js';

const withTools = testedInstalls().filter((i) => hasDumpTools(i.major));
const withoutTools = testedInstalls().filter((i) => !hasDumpTools(i.major));

describe.each(withTools)('verified backup on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  let touched: string[];
  beforeAll(async () => {
    s = await storyWithConsumers(install);
    // More tables with known row counts, in a second schema too.
    await s.workspace.query(`CREATE SCHEMA audit;
      CREATE TABLE audit.events (id bigserial PRIMARY KEY, what text);
      INSERT INTO audit.events (what) SELECT 'event ' || g FROM generate_series(1, 5000) g;
      CREATE TABLE empty_one (x int);`);
    touched = [
      s.cluster.hbaFile,
      s.cluster.confFile,
      join(s.cluster.dataDir, 'postgresql.auto.conf'),
      ...s.consumerFiles,
    ];
  });
  afterAll(async () => s?.cleanup());

  const drillDatabases = async () =>
    (
      await s.cluster.query<{ d: string }>("SELECT datname AS d FROM pg_database WHERE datname LIKE '%pgharden_drill%'")
    ).map((r) => r.d);

  it.each(['truncate-dump', 'delete-rows'])(
    'stops apply before any change when the drill fails (%s)',
    async (fault) => {
      const before = { files: fileIdentity(touched), state: await serverState(s) };
      const plan = makeStoryPlan(s, `damaged-${fault}`);
      const r = pgharden(['apply', plan, '--yes'], { PGHARDEN_FAULT: `preflight/verified-backup:${fault}` });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('The restore drill failed, so the backup cannot be trusted and nothing was changed');
      if (fault === 'delete-rows')
        expect(r.stderr).toMatch(/workspace \w+\.\w+: [1-9]\d* rows live \(dump snapshot\), 0 restored/);
      else expect(r.stderr).toMatch(/restore of workspace into pgharden_drill_[0-9a-f]{16}/);
      expect(fileIdentity(touched)).toEqual(before.files);
      expect(await serverState(s)).toEqual(before.state);
      expect(await drillDatabases()).toEqual([]);
    },
  );

  it('dumps, drills and shows equal counts, then apply continues; concurrent inserts cause no false mismatch', async () => {
    const plan = makeStoryPlan(s, 'verified');
    let writing = true;
    let inserted = 0;
    const writer = (async () => {
      while (writing) {
        await s.workspace.query("INSERT INTO audit.events (what) VALUES ('during the dump')");
        inserted += 1;
      }
    })();
    const r = await pghardenAsync(['apply', plan, '--yes']);
    writing = false;
    await writer;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(inserted).toBeGreaterThan(10);
    const report = readFileSync(join(plan, 'report.txt'), 'utf8');
    expect(report).toContain('pass  workspace public.tasks: 250 rows live (dump snapshot), 250 restored');
    expect(report).toContain('pass  workspace public.empty_one: 0 rows live (dump snapshot), 0 restored');
    expect(report).toMatch(/pass {2}workspace audit\.events: (\d+) rows live \(dump snapshot\), \1 restored/);
    // Rows were written before the snapshot and after it, and the comparison still matched.
    const atSnapshot = Number(/audit\.events: (\d+) rows live/.exec(report)![1]);
    const {
      rows: [now],
    } = await s.workspace.query<{ n: number }>('SELECT count(*)::int AS n FROM audit.events');
    expect(atSnapshot).toBeGreaterThan(5000);
    expect(now!.n).toBeGreaterThan(atSnapshot);
    const dumps = join(plan, 'backup', 'dumps');
    expect(readdirSync(dumps).sort()).toEqual(['01-workspace.dump', 'globals.sql']);
    for (const f of readdirSync(dumps)) expect(statSync(join(dumps, f)).mode & 0o777).toBe(0o600);
    const journal = readFileSync(join(plan, 'journal'), 'utf8');
    expect(journal).toMatch(/"got":"sha256 [0-9a-f]{64}"/);
    expect(readFileSync(join(dumps, 'globals.sql'), 'utf8')).toContain('CREATE ROLE postgres');
    expect(await drillDatabases()).toEqual([]);
    expect(pgharden(['rollback', plan]).code).toBe(0);
  });

  it('runs the nightly job: verified, copied off-box, metrics written, retention exact, overlap refused', async () => {
    const out = join(s.dir, 'nightly');
    mkdirSync(out, { mode: 0o700 });
    const now = Date.now();
    const day = 86_400_000;
    // Backdated runs: 1, 3, 9, 16, 23 and 40 days old, and things retention must never touch.
    const old = [1, 3, 9, 16, 23, 40].map((d) => runName(new Date(now - d * day)));
    for (const n of old) {
      mkdirSync(join(out, n));
      writeFileSync(join(out, n, 'manifest.json'), '{}');
    }
    mkdirSync(join(out, 'keep-me'));
    writeFileSync(join(out, 'notes.txt'), 'not a run');
    const offbox = join(s.dir, 'offbox');
    mkdirSync(offbox);
    const metrics = join(s.dir, 'pgharden.prom');
    const r = pgharden([
      'backup',
      '--out',
      out,
      '--verify',
      '--databases',
      'workspace,postgres',
      '--keep-days',
      '7',
      '--keep-weekly',
      '3',
      '--copy-to',
      `cp {} ${offbox}/`,
      '--metrics',
      metrics,
      '--dsn',
      s.dsn,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/workspace +public\.tasks +250 +250/);
    expect(r.stdout).toContain('Backup done and verified');
    const runs = readdirSync(out)
      .filter((n) => /^\d{8}T\d{6}Z$/.test(n))
      .sort();
    // Kept: the new run, the 1- and 3-day-old ones (< 7 days), and the newest of each of the last 3 ISO weeks.
    const { retain } = await import('../../src/backup/retention.js');
    const expected = retain([...old, runs.at(-1)!], new Date(), { keepDays: 7, keepWeekly: 3 }).keep.sort();
    expect(runs).toEqual(expected);
    expect(runs).toContain(old[0]);
    expect(runs).not.toContain(old[5]);
    expect(readdirSync(out).sort()).toEqual([...runs, 'keep-me', 'notes.txt'].sort());
    expect(readdirSync(offbox).sort()).toEqual([
      '01-workspace.dump',
      '02-postgres.dump',
      'globals.sql',
      'manifest.json',
    ]);
    const prom = readFileSync(metrics, 'utf8');
    expect(prom).toMatch(/^pgharden_backup_last_success_timestamp_seconds \d{10}$/m);
    expect(prom).toContain('pgharden_backup_last_run_success 1');
    expect(prom).toMatch(/^pgharden_backup_rows_verified [1-9]\d*$/m);

    writeFileSync(
      join(out, 'lock'),
      JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command: 'test' }),
    );
    const overlap = pgharden(['backup', '--out', out, '--dsn', s.dsn]);
    expect(overlap.code).toBe(3);
    expect(overlap.stderr).toContain(`held by pid ${process.pid}`);

    const failing = pgharden([
      'backup',
      '--out',
      join(s.dir, 'nightly2'),
      '--copy-to',
      'false',
      '--metrics',
      metrics,
      '--dsn',
      s.dsn,
    ]);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain('copy of');
    const after = readFileSync(metrics, 'utf8');
    expect(after).toContain('pgharden_backup_last_run_success 0');
    expect(/last_success_timestamp_seconds (\d+)/.exec(after)![1]).toBe(
      /last_success_timestamp_seconds (\d+)/.exec(prom)![1],
    );
  });
});

describe.each(withoutTools)('no pg_dump for PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  beforeAll(async () => {
    s = await storyWithConsumers(install);
  });
  afterAll(async () => s?.cleanup());

  it('plan refuses and names the package; --skip-backup is recorded loudly', () => {
    const r = pgharden(['plan', '--spec', s.spec, '--out', join(s.dir, 'plans', 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Install postgresql-client-${install.major}`);
    const skipped = pgharden(['plan', '--spec', s.spec, '--out', join(s.dir, 'plans', 'y'), '--skip-backup']);
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toContain('WARNING: --skip-backup');
    expect(skipped.stdout).toContain('BACKUP SKIPPED (--skip-backup)');
    expect(JSON.parse(readFileSync(join(s.dir, 'plans', 'y', 'plan.json'), 'utf8')).backup).toEqual({
      skipped: true,
      databases: [],
    });
  });
});
