/**
 * `pgharden guide` end to end through a real pseudo-terminal (tmux), on the story cluster with
 * its consumers connected from the VPN: accepting every default ends in a verified apply where the
 * app role cannot write the kill switch and the reporting role cannot write at all, and rollback
 * restores everything; a consumer added by hand, an existing spec never replaced without a yes,
 * and a stalled drain that names the session it waits for.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFrom } from '../../src/connect/from-address.js';
import { VPN_DEVICE } from '../../src/scratch/story.js';
import { testedInstalls } from '../support/cluster.js';
import { CLI, pgharden } from '../support/cli.js';
import {
  fileIdentity,
  hasDumpTools,
  serverState,
  storyWithConsumers,
  type StoryPlanSetup,
} from '../support/story-plan.js';
import { guideTerminal, hasTmux, SCREEN_WAIT } from '../support/tty.js';

// One major: the guide drives the same API as plan and apply, which run on every major elsewhere.
describe.skipIf(!hasTmux)('pgharden guide in a terminal', () => {
  const install = testedInstalls()[0]!;
  let s: StoryPlanSetup;
  let t: ReturnType<typeof guideTerminal>;
  const consumer = async (application: string) => {
    const c = clientFrom(VPN_DEVICE, {
      host: '127.0.0.1',
      port: s.cluster.port,
      user: 'postgres',
      database: 'workspace',
      application_name: application,
    });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  };
  /** The connection string a consumer file holds now. */
  const dsnIn = (file: string) => /postgres(?:ql)?:\/\/[^\s"]+/.exec(readFileSync(join(s.dir, file), 'utf8'))![0];
  const asConsumer = async <T>(file: string, fn: (c: pg.Client) => Promise<T>) => {
    const c = clientFrom(VPN_DEVICE, { connectionString: dsnIn(file) });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  /** The network questions and the agents' role up to its read-only tables: each default, TLS off. */
  const networkAndAgents = async (tlsKeys = ['Down', 'Down', 'Enter']) => {
    for (const q of ['Trusted ranges', 'Another trusted range', 'listen_addresses after', "postgresql.conf's mode"])
      await t.ask(q);
    // Proposed (ssl is off on the network); these sessions answer off: tls-harden.test.ts has the TLS plan.
    await t.ask('TLS for the connections from the trusted ranges', ...tlsKeys);
    expect(t.screen()).toContain('TLS: the audit finds');
    await t.ask('agents connects as postgres from 127.10.0.7 to workspace. Give it its own role?');
    for (const q of ['Role name', 'Template', 'Databases agents_app may use']) await t.ask(q);
  };
  const planDirs = () => readdirSync(join(s.dir, 'plans')).sort();

  beforeAll(async () => {
    s = await storyWithConsumers(install);
    // The guide's own spec, not the hand-written one.
    renameSync(s.spec, join(s.dir, 'by-hand.yaml'));
    const yaml = join(s.dir, 'reporting.yaml');
    writeFileSync(
      yaml,
      readFileSync(yaml, 'utf8').replace('application_name=weekly', 'application_name=weekly-report'),
    );
    t = guideTerminal('guide', s.cluster.port);
  });
  afterAll(async () => {
    t?.close();
    await s?.cleanup();
  });

  it('accepting every default: least privilege from evidence, every consumer moved, verified; rollback restores all', async () => {
    const before = { files: fileIdentity(s.consumerFiles), server: await serverState(s) };
    const agents = await consumer('agents');
    const weekly = await consumer('weekly-report');
    t.start(s.dir);
    await t.waitFor('Trusted ranges: where your consumers connect from');
    expect(t.screen()).toContain('◉ 127.10.0.0/24  (clients connected from 127.10.0.7 (postgres, ');
    await networkAndAgents();
    await t.waitFor('Tables agents_app may only read');
    expect(t.screen()).toMatch(/◉ agents_kill_switch +read-only +control name: its name marks a control/);
    expect(t.screen()).toMatch(
      /◯ tasks +read-write +pg_stat_user_tables: 250 rows written .*by any role: not per user/,
    );
    await t.ask('Tables agents_app may only read');
    await t.ask('weekly-report connects as postgres from 127.10.0.7 to workspace. Give it its own role?');
    for (const q of ['Role name', 'Template', 'Databases weekly_report_app may use']) await t.ask(q);
    await t.ask('Add another role by hand');
    await t.ask('Directories to scan');
    for (const app of ['agents', 'weekly-report']) {
      await t.ask(`Which file holds ${app}'s connection string`);
      for (const q of ['re-read its settings', 'works on its new role', 'old sessions to end before it stops'])
        await t.ask(q);
    }
    // The file chosen for the agents is not offered first again.
    expect(t.screen()).toContain(
      `✔ Which file holds weekly-report's connection string (it moves to weekly_report_app)? ${join(s.dir, 'reporting.yaml')}:2`,
    );
    await t.ask('Add another consumer by hand');
    await t.ask('Write the spec to');
    if (!hasDumpTools(s.cluster.major)) await t.ask('Go on without a verified backup?', 'y', 'Enter');
    for (let i = 1; i <= 6; i++) await t.ask(`Stage ${i}/6 looks right?`);
    // The consumers reload onto their new roles: their old sessions go.
    await agents.end();
    await weekly.end();
    await t.ask('Apply the plan now?', 'y', 'Enter');
    const end = await t.end(90_000);
    expect(end).toContain('GUIDE EXIT=0');
    expect(end).toContain('What the server answered (the negative tests of the verify stage)');
    expect(end).toContain(
      'UPDATE "public"."agents_kill_switch" SET "id" = "id" WHERE false → denied  [server: denied]',
    );
    expect(end).toMatch(/\d+ checks passed, 0 failed, 0 skipped/);
    if (!hasDumpTools(s.cluster.major)) expect(end).toContain('WARNING: NO VERIFIED BACKUP');
    expect(end).toMatch(/Rollback: pgharden rollback .*plans\/guide-/);
    expect(end).toContain('Applied and verified.');

    // On the server, as the consumers themselves.
    expect(dsnIn('agents.env')).toContain('agents_app:');
    expect(dsnIn('reporting.yaml')).toContain('weekly_report_app:');
    await asConsumer('agents.env', async (c) => {
      await expect(c.query('UPDATE agents_kill_switch SET engaged = true')).rejects.toMatchObject({ code: '42501' });
      await c.query("UPDATE tasks SET done = true WHERE title = 'task 1'");
    });
    const writable = await asConsumer('reporting.yaml', async (c) => {
      await expect(c.query("INSERT INTO tasks (title) VALUES ('x')")).rejects.toMatchObject({ code: '42501' });
      return (
        await c.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND has_table_privilege(format('%I.%I', schemaname, tablename), 'INSERT, UPDATE, DELETE, TRUNCATE')",
        )
      ).rows[0]!.n;
    });
    expect(writable).toBe(0);

    const back = pgharden(['rollback', join(s.dir, 'plans', planDirs()[0]!)]);
    expect(back.code, back.stderr).toBe(0);
    expect(fileIdentity(s.consumerFiles)).toEqual(before.files);
    expect(await serverState(s)).toEqual(before.server);
  });

  it('never replaces a spec without a yes, takes a consumer by hand, names the session a stalled drain waits for, and resumes an apply stopped with Ctrl-C', async () => {
    const first = readFileSync(join(s.dir, 'harden.yaml'), 'utf8');
    const agents = await consumer('agents');
    const pid = (await agents.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0]!.p;
    // A systemd service reads the reporting file as its environment: its commands are suggested.
    const units = join(s.dir, 'units');
    mkdirSync(units);
    writeFileSync(
      join(units, 'weekly-report.service'),
      `[Service]\nEnvironmentFile=${join(s.dir, 'reporting.yaml')}\nExecStart=/usr/bin/true\n`,
    );
    t.start(s.dir, { PGHARDEN_UNIT_DIRS: units });
    await t.ask('harden.yaml already exists. Use it?', 'Down', 'Enter');
    // The first session's spec has no tls section: off is the default now.
    await networkAndAgents(['Enter']);
    await t.ask('Tables agents_app may only read');
    await t.ask('Add another role by hand');
    await t.ask('Directories to scan');
    await t.ask("Which file holds agents's connection string");
    await t.ask('re-read its settings');
    await t.ask('works on its new role');
    await t.ask('old sessions to end before it stops', '60', 'Enter');
    await t.ask('Add another consumer by hand', 'y', 'Enter');
    await t.ask('Consumer name', 'weekly-report', 'Enter');
    await t.ask('Its config file', 'reporting.yaml', 'Enter');
    await t.ask('The key holding the connection string');
    await t.ask("Its sessions' application_name", 'weekly-report', 'Enter');
    await t.ask('Which role does it move to?');
    // No systemd here: the suggestions are shown, and replaced by commands that work.
    await t.waitFor(
      're-read its settings (empty: none; apply then waits for its old sessions to end) (systemctl restart weekly-report.service)',
    );
    await t.ask('re-read its settings', 'true', 'Enter');
    await t.waitFor('works on its new role (empty: none) (systemctl is-active --quiet weekly-report.service)');
    await t.ask('works on its new role', 'true', 'Enter');
    await t.ask('old sessions to end before it stops');
    await t.ask('Add another consumer by hand');
    await t.ask('Write the spec to');
    await t.ask(`${join(s.dir, 'harden.yaml')} already exists. Replace it?`);
    await t.waitFor('Write the spec to', SCREEN_WAIT, 2);
    expect(t.screen()).toContain('harden-2.yaml');
    await t.ask('Write the spec to');
    if (!hasDumpTools(s.cluster.major)) await t.ask('Go on without a verified backup?', 'y', 'Enter');
    for (let i = 1; i <= 6; i++) await t.ask(`Stage ${i}/6 looks right?`);
    await t.ask('Apply the plan now?', 'y', 'Enter');
    await t.waitFor('waiting up to 60 s for 1 session on postgres');
    expect(t.screen()).toMatch(
      new RegExp(
        `pid ${pid} \\(postgres, agents from 127\\.10\\.0\\.7, since \\d\\d:\\d\\d:\\d\\d\\); reload or restart that client`,
      ),
    );
    // Ctrl-C while apply waits: pgharden stops there, and the next guide offers to resume the apply.
    t.keys('C-c');
    expect(await t.end()).toContain('GUIDE EXIT=130');
    expect(JSON.parse(readFileSync(join(s.dir, '.pgharden-guide.json'), 'utf8'))).toMatchObject({ applying: true });
    await agents.end();
    t.start(s.dir);
    await t.ask('was interrupted. What now?');
    const end = await t.end(90_000);
    expect(end).toContain('consumers/agents/drain');
    expect(end).toContain('Applied and verified.');
    expect(end).toContain('GUIDE EXIT=0');
    const plan = join(s.dir, 'plans', planDirs().at(-1)!);
    expect(pgharden(['rollback', plan]).code).toBe(0);
    expect(readFileSync(join(s.dir, 'harden.yaml'), 'utf8')).toBe(first);
    const second = readFileSync(join(s.dir, 'harden-2.yaml'), 'utf8');
    expect(second).toContain('name: weekly-report');
    expect(second).toContain(`file: ${join(s.dir, 'reporting.yaml')}`);
    expect(second).toContain('drainTimeout: 60');
    expect(second).toContain('application: weekly-report');
  });

  it('refuses without a terminal and points to plan and apply', () => {
    const r = spawnSync(process.execPath, [CLI, 'guide'], { encoding: 'utf8', input: '' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('guide asks questions and needs a terminal');
    expect(r.stderr).toContain('pgharden apply plans/NAME --yes');
  });
});
