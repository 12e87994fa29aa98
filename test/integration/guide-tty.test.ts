/**
 * `pgharden guide` end to end through a real pseudo-terminal (tmux): against the story cluster
 * with the agents connected from the VPN, a user who accepts the suggestions goes from the first
 * question to the verification report, and the screen shows the hardened result.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFrom } from '../../src/cluster/from-address.js';
import { VPN_DEVICE } from '../../src/scratch/story.js';
import { probe } from '../../src/hba/probe.js';
import { testedInstalls } from '../support/cluster.js';
import { CLI } from '../support/cli.js';
import { storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8' });

describe.skipIf(!hasTmux)('pgharden guide in a terminal', () => {
  const install = testedInstalls()[0]!;
  const session = `pgharden-guide-${process.pid}`;
  let s: StoryPlanSetup;
  const screen = () => tmux('capture-pane', '-p', '-J', '-t', session, '-S', '-3000').stdout;
  /** Waits until the screen shows `text` (after `seen` earlier screens' worth), then returns the screen. */
  const waitFor = async (text: string, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const now = screen();
      if (now.includes(text)) return now;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the screen never showed "${text}":\n${screen()}`);
  };
  const keys = (...k: string[]) => tmux('send-keys', '-t', session, ...k);

  beforeAll(async () => {
    s = await storyWithConsumers(install);
  });
  afterAll(async () => {
    tmux('kill-session', '-t', session);
    await s?.cleanup();
  });

  it('goes from the first question to the verification report', async () => {
    const agents = clientFrom(VPN_DEVICE, {
      host: '127.0.0.1',
      port: s.cluster.port,
      user: 'postgres',
      database: 'workspace',
      application_name: 'agents',
    });
    agents.on('error', () => undefined);
    await agents.connect();
    const script = join(s.dir, 'guide.sh');
    writeFileSync(
      script,
      [
        '#!/bin/sh',
        `cd '${s.dir}'`,
        `export PGHOST=127.0.0.1 PGPORT=${s.cluster.port} PGUSER=postgres PGDATABASE=postgres NO_COLOR=1`,
        `'${process.execPath}' '${CLI}' guide`,
        'echo "GUIDE EXIT=$?"',
        'sleep 600',
      ].join('\n'),
      { mode: 0o755 },
    );
    expect(tmux('new-session', '-d', '-s', session, '-x', '220', '-y', '60', script).status).toBe(0);

    await waitFor('Trusted ranges: where your consumers connect from');
    expect(screen()).toContain('127.10.0.0/24  (clients connected from 127.10.0.7 (postgres, agents))');
    keys('Enter');
    await waitFor('Another trusted range');
    keys('Enter');
    await waitFor('agents connects as postgres from 127.10.0.7 to workspace. Give it its own role?');
    keys('Enter');
    await waitFor('Role name');
    keys('Enter');
    await waitFor('Template');
    keys('Enter');
    // The agents reload onto their new role; their old sessions go.
    await agents.end();
    await waitFor('Directories to scan');
    keys('Enter');
    await waitFor("Which file holds agents's connection string");
    keys('Enter');
    await waitFor('Write the spec to');
    keys('Enter');
    for (let i = 1; i <= 6; i++) {
      await waitFor(`Stage ${i}/6 looks right?`);
      keys('Enter');
    }
    await waitFor('Apply the plan now?');
    keys('y', 'Enter');
    const end = await waitFor('GUIDE EXIT=', 60_000);
    expect(end).toContain('GUIDE EXIT=0');
    expect(end).toMatch(/\d+ checks passed, 0 failed, 0 skipped/);
    expect(end).toContain('Applied and verified.');
    expect(end).toContain('+host    all             postgres        0.0.0.0/0               reject');
    expect(
      await probe({
        host: '127.0.0.1',
        port: s.cluster.port,
        localAddress: VPN_DEVICE,
        user: 'postgres',
        database: 'workspace',
      }),
    ).toMatchObject({ kind: 'error', class: 'rejected' });
  }, 120_000);

  it('stops cleanly on Ctrl-C at a question, saying what exists and how to resume', async () => {
    tmux('kill-session', '-t', session);
    // The cluster is hardened now: the guide cannot get in over TCP as postgres, so it asks for a DSN.
    expect(tmux('new-session', '-d', '-s', session, '-x', '220', '-y', '60', join(s.dir, 'guide.sh')).status).toBe(0);
    await waitFor('Connect to PostgreSQL with');
    expect(screen()).toContain('pg_hba.conf rejects connection');
    keys('C-c');
    const end = await waitFor('GUIDE EXIT=');
    expect(end).toContain(
      'Stopped at your request. Nothing was written and nothing was changed. Run pgharden guide again to start over.',
    );
    expect(end).toContain('GUIDE EXIT=2');
  });

  it('refuses without a terminal and points to plan and apply', () => {
    const r = spawnSync(process.execPath, [CLI, 'guide'], { encoding: 'utf8', input: '' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('guide asks questions and needs a terminal');
    expect(r.stderr).toContain('pgharden apply plans/NAME --yes');
  });
});
