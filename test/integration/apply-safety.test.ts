/**
 * What apply must never do: disrupt a consumer, leak a secret, or reload a broken pg_hba.conf.
 * - While apply runs, a load generator connects over and over with each consumer's DSN as its
 *   file holds it at that instant (as a reloaded service would): zero failed connections, zero
 *   terminated sessions.
 * - With log_statement=all and log_connections=on, no generated password appears in the server
 *   log, stdout, stderr, the journal, plan.json or the report.
 * - A spoiled candidate pg_hba.conf is refused by pg_hba_file_rules, the previous file is put
 *   back, and the server never reloads it (its rules in force are unchanged).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VPN_DEVICE } from '../../src/scratch/story.js';
import { probe } from '../../src/hba/probe.js';
import { testedInstalls } from '../support/cluster.js';
import { CLI, pgharden } from '../support/cli.js';
import { makeStoryPlan, storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';
import { loadGenerator } from '../support/consumer-load.js';

describe.each(testedInstalls())('apply on PostgreSQL $major never', (install) => {
  let s: StoryPlanSetup;
  beforeAll(async () => {
    s = await storyWithConsumers(install, { log_statement: 'all', log_connections: 'on' });
  });
  afterAll(async () => s?.cleanup());

  it('reloads a broken candidate pg_hba.conf: it is refused, the old file is back, the old rules stay in force', async () => {
    const planDir = makeStoryPlan(s, 'spoiled');
    const before = readFileSync(s.cluster.hbaFile, 'utf8');
    const [loaded] = await s.cluster.query<{ t: string }>('SELECT pg_conf_load_time()::text AS t');
    const r = pgharden(['apply', planDir, '--yes'], { PGHARDEN_FAULT: 'canary/hba:corrupt' });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('has error lines (line');
    expect(r.stderr).toContain('the previous file is back and nothing was reloaded');
    expect(readFileSync(s.cluster.hbaFile, 'utf8')).toBe(before);
    expect(await s.cluster.query<{ t: string }>('SELECT pg_conf_load_time()::text AS t')).toEqual([loaded]);
    expect(
      await probe({
        host: '127.0.0.1',
        port: s.cluster.port,
        localAddress: VPN_DEVICE,
        user: 'postgres',
        database: 'workspace',
      }),
    ).toEqual({ kind: 'ok' });
    expect(pgharden(['rollback', planDir]).code).toBe(0);
  });

  it('fails a consumer connection or leaks a password, while it runs under load', async () => {
    const planDir = makeStoryPlan(s, 'under-load');
    const loads = [
      loadGenerator(s.consumerFiles[0]!, 'DATABASE_URL', 'agents'),
      loadGenerator(s.consumerFiles[1]!, undefined, 'weekly'),
    ];
    const child = spawn(process.execPath, [CLI, 'apply', planDir, '--yes'], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    for (const l of loads) await l.stop();
    expect(stderr).toBe('');
    expect(code).toBe(0);
    for (const l of loads) {
      expect(l.failures).toEqual([]);
      expect(l.attempts).toBeGreaterThan(20);
    }

    const passwords = Object.values(
      (JSON.parse(readFileSync(join(planDir, 'secrets'), 'utf8')) as { roles: Record<string, { password: string }> })
        .roles,
    ).map((x) => x.password);
    expect(passwords).toHaveLength(2);
    const logDir = join(s.cluster.dataDir, '..');
    const serverLog = readdirSync(logDir)
      .filter((f) => f.endsWith('.log'))
      .map((f) => readFileSync(join(logDir, f), 'utf8'))
      .join('\n');
    expect(serverLog).toContain('connection authorized: user=agents_app');
    const places: Record<string, string> = {
      'server log': serverLog,
      stdout,
      stderr,
      journal: readFileSync(join(planDir, 'journal'), 'utf8'),
      'plan.json': readFileSync(join(planDir, 'plan.json'), 'utf8'),
      report: readFileSync(join(planDir, 'report.json'), 'utf8') + readFileSync(join(planDir, 'report.txt'), 'utf8'),
    };
    for (const [where, text] of Object.entries(places))
      for (const p of passwords) expect(text.includes(p), `a password in the ${where}`).toBe(false);
    // log_statement=all did log the rest of what apply ran.
    expect(serverLog).toContain(
      'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "public" TO "agents_app"',
    );
    expect(pgharden(['rollback', planDir]).code).toBe(0);
  });
});
