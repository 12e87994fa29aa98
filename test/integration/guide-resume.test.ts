/**
 * `pgharden guide` interrupted and resumed, through a real pseudo-terminal (tmux): Ctrl-C at
 * every question leaves nothing changed and exits 130, and the next run offers to resume and replays every
 * answer given so far; an existing harden.yaml is planned from as it is.
 *
 * Tiers (test/support/tier.ts): `npm run test:all` stops at every one of the 19 questions; `npm test`
 * at the first two, the last and two between them chosen by the seed it prints (PGHARDEN_SEED
 * repeats them), so successive runs cover every question. Each guide start costs a second of CPU.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFrom } from '../../src/connect/from-address.js';
import { VPN_DEVICE } from '../../src/scratch/story.js';
import { testedInstalls } from '../support/cluster.js';
import { hasDumpTools, serverState, storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';
import { seededRandom } from '../support/match-gen.js';
import { FULL_TIER, TEST_SEED } from '../support/tier.js';
import { guideTerminal, hasTmux } from '../support/tty.js';

const SEED = TEST_SEED;

/** The questions a session with the agents connected asks, in order, each answered with its default. */
const ASKED = [
  'Trusted ranges: where',
  'Another trusted range',
  'listen_addresses after the change',
  "postgresql.conf's mode",
  'TLS for the connections from the trusted ranges',
  'agents connects as postgres from 127.10.0.7 to workspace. Give it its own role?',
  'Role name',
  'Template',
  'Databases agents_app may use',
  'Tables agents_app may only read',
  'Add another role by hand',
  'Directories to scan',
  "Which file holds agents's connection string",
  're-read its settings',
  'works on its new role',
  'old sessions to end before it stops',
  'Add another consumer by hand',
  'Write the spec to',
];
const NO_BACKUP = 'Go on without a verified backup?';
/**
 * Keys other than Enter: the story has ssl off on the network, so the guide proposes TLS
 * (verify-full, first of three); these sessions answer off, the day-one plan without TLS
 * (the TLS plan from the guide's spec is tls-harden.test.ts's).
 */
const KEYS: Record<string, string[]> = { 'TLS for the connections from the trusted ranges': ['Down', 'Down', 'Enter'] };

describe.skipIf(!hasTmux)('pgharden guide, interrupted and resumed', () => {
  const install = testedInstalls()[0]!;
  let s: StoryPlanSetup;
  let t: ReturnType<typeof guideTerminal>;
  let agents: pg.Client;
  /** Where no pg_dump fits the server (18 on a machine with 15's tools), the guide asks to go on without. */
  const noBackup = () => !hasDumpTools(s.cluster.major);

  beforeAll(async () => {
    s = await storyWithConsumers(install);
    agents = clientFrom(VPN_DEVICE, {
      host: '127.0.0.1',
      port: s.cluster.port,
      user: 'postgres',
      database: 'workspace',
      application_name: 'agents',
    });
    agents.on('error', () => undefined);
    await agents.connect();
    t = guideTerminal('resume', s.cluster.port);
  });
  afterAll(async () => {
    t?.close();
    await agents?.end();
    await s?.cleanup();
  });

  it('plans from an existing harden.yaml as it is, and leaves it as it was', async () => {
    const spec = readFileSync(s.spec, 'utf8');
    t.start(s.dir);
    await t.ask('harden.yaml already exists. Use it?');
    await t.waitFor(`Planning from ${s.spec} as it is.`);
    if (noBackup()) await t.ask(NO_BACKUP, 'y', 'Enter');
    for (let i = 1; i <= 6; i++) await t.ask(`Stage ${i}/6 looks right?`);
    expect(t.screen()).toContain('agents_kill_switch stays read-only');
    await t.ask('Apply the plan now?');
    const end = await t.end();
    expect(end).toContain('Nothing was changed. When ready: pgharden apply');
    expect(end).toContain('GUIDE EXIT=0');
    expect(readFileSync(s.spec, 'utf8')).toBe(spec);
  });

  it('stops at Ctrl-C on every question, and resumes there with the answers given before', async () => {
    const before = await serverState(s);
    const dir = join(s.dir, 'fresh');
    mkdirSync(dir);
    copyFileSync(join(s.dir, 'agents.env'), join(dir, 'agents.env'));
    const state = join(dir, '.pgharden-guide.json');
    const QUESTIONS: [string, string[]][] = [
      ...ASKED.map((q): [string, string[]] => [q, KEYS[q] ?? []]),
      ...(noBackup() ? [[NO_BACKUP, ['y', 'Enter']] as [string, string[]]] : []),
      ['Stage 1/6 looks right?', []],
    ];

    t.start(dir);
    await t.waitFor(QUESTIONS[0]![0]);
    t.keys('C-c');
    const first = await t.end();
    expect(first).toContain(
      'Stopped at your request. Nothing was written and nothing was changed. Run pgharden guide again to start over.',
    );
    expect(first).toContain('GUIDE EXIT=130');
    expect(existsSync(state)).toBe(false);

    // Stop k answers question k and is interrupted at k + 1; the questions between two stops are
    // answered in the later session, after the replay of every answer saved before it.
    const last = QUESTIONS.length - 2;
    const random = seededRandom(SEED);
    const stops = FULL_TIER
      ? QUESTIONS.slice(0, -1).map((_, k) => k)
      : [...new Set([0, 1, last, 2 + Math.floor(random() * (last - 2)), 2 + Math.floor(random() * (last - 2))])].sort(
          (a, b) => a - b,
        );
    if (!FULL_TIER)
      console.log(`guide-resume: Ctrl-C at questions ${stops.join(', ')} (PGHARDEN_SEED=${SEED} repeats them)`);
    let saved = 0;
    for (const k of stops) {
      t.start(dir);
      if (saved > 0) await t.ask('Resume where it stopped?');
      for (let q = saved; q <= k; q++) await t.ask(QUESTIONS[q]![0], ...QUESTIONS[q]![1]);
      await t.waitFor(QUESTIONS[k + 1]![0]);
      expect(t.screen().split('(as last time)').length - 1, t.screen()).toBe(saved);
      saved = k + 1;
      t.keys('C-c');
      const end = await t.end();
      expect(end).toContain('GUIDE EXIT=130');
      expect(end).toContain('Your answers are saved in .pgharden-guide.json: run pgharden guide again here to resume');
      expect(end).toContain('Stopped at your request.');
    }
    expect(t.screen()).toContain('nothing was applied');
    expect(statSync(state).mode & 0o777).toBe(0o600);
    expect(readFileSync(state, 'utf8')).not.toMatch(/password|postgres:\/\//i);

    t.start(dir);
    await t.ask('Resume where it stopped?');
    for (let i = 1; i <= 6; i++) await t.ask(`Stage ${i}/6 looks right?`);
    await t.ask('Apply the plan now?');
    expect(await t.end()).toContain('GUIDE EXIT=0');
    expect(existsSync(state)).toBe(false);
    expect(readFileSync(join(dir, 'harden.yaml'), 'utf8')).toContain('- agents_kill_switch');
    // Reached through the libpq environment: the spec names no target, never an empty one.
    expect(readFileSync(join(dir, 'harden.yaml'), 'utf8')).not.toMatch(/^target:/m);
    expect(await serverState(s)).toEqual(before);
  });

  it("offers an existing harden.yaml's values as the defaults when the questions are answered again", async () => {
    const dir = join(s.dir, 'again');
    mkdirSync(dir);
    copyFileSync(join(s.dir, 'agents.env'), join(dir, 'agents.env'));
    const spec = readFileSync(s.spec, 'utf8').replace(
      'application: agents }',
      'application: agents, drainTimeout: 45 }',
    );
    expect(spec).toContain('drainTimeout: 45');
    writeFileSync(join(dir, 'harden.yaml'), spec);
    t.start(dir);
    await t.ask('harden.yaml already exists. Use it?', 'Down', 'Enter');
    await t.waitFor(`The defaults below are ${join(dir, 'harden.yaml')}'s values where it has them.`);
    const upTo = ASKED.indexOf('old sessions to end before it stops');
    for (const q of ASKED.slice(0, upTo)) await t.ask(q);
    const screen = await t.waitFor(
      "How long apply waits for agents's old sessions to end before it stops (seconds) (45)",
    );
    // Without the spec's values the question offers its own default.
    expect(screen).not.toContain('before it stops (seconds) (300)');
    t.keys('C-c');
    const end = await t.end();
    expect(end).toContain('GUIDE EXIT=130');
    expect(readFileSync(join(dir, 'harden.yaml'), 'utf8')).toBe(spec);
  });
});
