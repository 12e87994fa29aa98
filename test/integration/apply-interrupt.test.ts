/**
 * Ctrl-C during apply, in a real terminal (tmux): one line says where it stopped and the two
 * commands, the restore drill's scratch database is dropped on the way out, the exit is 130; the
 * next apply resumes to a verified end, and report.txt covers both runs.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VPN_RANGE } from '../../src/scratch/story.js';
import { testedInstalls } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';
import { hasDumpTools, storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';
import { commandTerminal, hasTmux } from '../support/tty.js';

const journalOf = (plan: string) =>
  (existsSync(join(plan, 'journal')) ? readFileSync(join(plan, 'journal'), 'utf8') : '')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; name?: string; state?: string });

describe.skipIf(!hasTmux).each(testedInstalls().filter((i) => hasDumpTools(i.major)))(
  'Ctrl-C during apply on PostgreSQL $major',
  (install) => {
    let s: StoryPlanSetup;
    const t = commandTerminal('apply-interrupt');
    beforeAll(async () => {
      s = await storyWithConsumers(install);
    });
    afterAll(async () => {
      t.close();
      await s?.cleanup();
    });

    it('stops with one line and the two commands, drops its drill database, exits 130; apply resumes to a verified end', async () => {
      const spec = join(s.dir, 'harden.yaml');
      writeFileSync(
        spec,
        [
          `target: { dsn: "${s.dsn}" }`,
          `network: { trustedRanges: [${VPN_RANGE}] }`,
          'roles: [{ name: agents_app, template: app-readwrite, databases: [workspace] }]',
          'consumers: [{ name: agents, file: agents.env, key: DATABASE_URL, role: agents_app }]',
          '',
        ].join('\n'),
      );
      const plan = join(s.dir, 'plans', 'interrupted');
      const made = pgharden(['plan', '--spec', spec, '--out', plan]);
      expect(made.stderr).not.toMatch(/pgharden:/);
      const total = (JSON.parse(readFileSync(join(plan, 'plan.json'), 'utf8')) as { steps: unknown[] }).steps.length;
      t.start(s.dir, ['apply', plan, '--yes']);
      // Ctrl-C as soon as the restore drill has recorded its scratch database.
      const deadline = Date.now() + 120_000;
      while (!journalOf(plan).some((r) => r.type === 'scratch-database' && r.state === 'creating')) {
        if (Date.now() > deadline) throw new Error(`no drill started:\n${t.screen()}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      t.keys('C-c');
      const screen = await t.waitFor('EXIT=');
      expect(screen).toContain(
        `Stopped at step 3 of ${total} (preflight/verified-backup); \`pgharden apply ${plan}\` resumes, \`pgharden rollback ${plan}\` undoes`,
      );
      expect(screen).toContain('EXIT=130');
      // The drill database is gone, and the journal says so.
      const records = journalOf(plan).filter((r) => r.type === 'scratch-database');
      const names = [...new Set(records.map((r) => r.name!))];
      for (const n of names)
        expect(
          records.some((r) => r.name === n && r.state === 'dropped'),
          n,
        ).toBe(true);
      const c = new pg.Client({ host: '127.0.0.1', port: s.cluster.port, user: 'postgres', database: 'postgres' });
      await c.connect();
      const left = await c.query('SELECT datname FROM pg_database WHERE datname = ANY($1)', [names]);
      await c.end();
      expect(left.rows).toEqual([]);

      const resumed = pgharden(['apply', plan, '--yes']);
      expect(resumed.stdout).toContain('Applied and verified');
      expect(resumed.code).toBe(0);
      // One report for the plan: both runs, each with its start and end; the first one's preflight copy is in it.
      const report = readFileSync(join(plan, 'report.txt'), 'utf8');
      const iso = '\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z';
      expect(report).toMatch(
        new RegExp(
          `run 1 of 2: started ${iso}, ended ${iso}: interrupted at step 3 of ${total} \\(preflight/verified-backup\\) by SIGINT\n(  .*\n)*  ok   preflight/backup \\(\\d+ ms\\)`,
        ),
      );
      expect(report).toMatch(new RegExp(`run 2 of 2: started ${iso}, ended ${iso}: applied\n`));
      expect(report.slice(report.indexOf('run 2 of 2'))).toContain('ok   roles/create-agents_app');
      expect(pgharden(['rollback', plan]).code).toBe(0);
    });
  },
);
