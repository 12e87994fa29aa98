/**
 * Plan predicts every consumer's path after the flip: its DSN's host and port, and the addresses
 * of its live sessions, against the final pg_hba.conf; a plan that would cut one off is refused
 * (exit 3) with the consumer, the address and the rule it would hit. A DSN for another server,
 * and a consumer file that is not a regular file or is oversized, are refused (exit 2).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, ftruncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFrom } from '../../src/connect/from-address.js';
import { STORY_HBA } from '../../src/scratch/story.js';
import { testedInstalls } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';
import { consumerSpec, hasDumpTools, storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';

describe.each(testedInstalls())('plan refuses a consumer it would cut off, on PostgreSQL $major', (install) => {
  const skip = hasDumpTools(install.major) ? [] : ['--skip-backup'];
  let s: StoryPlanSetup;
  beforeAll(async () => {
    s = await storyWithConsumers(install);
  });
  afterAll(async () => s?.cleanup());

  const setHba = async (text: string) => {
    s.cluster.writeFile(s.cluster.hbaFile, text);
    await s.cluster.reload();
  };
  const plan = (name: string, consumer: string) =>
    pgharden(['plan', '--spec', consumerSpec(s, name, [consumer]), '--out', join(s.dir, 'plans', name), ...skip]);

  it('refuses a consumer whose DSN host reaches the server from outside the trusted ranges', async () => {
    // Loopback only through a wide trust rule: the flip narrows it to the VPN, and 127.0.0.1 loses its way in.
    await setHba(STORY_HBA.replace(/^host\s+all\s+all\s+127\.0\.0\.1\/32\s+trust$/m, 'host all all 127.0.0.0/8 trust'));
    try {
      const r = plan(
        'dsn-outside',
        '{ name: agents, file: agents.env, key: DATABASE_URL, role: agents_app, application: agents }',
      );
      expect(r.stderr).toContain('consumer "agents"');
      expect(r.stderr).toContain('from 127.0.0.1');
      expect(r.stderr).toContain('no pg_hba.conf entry');
      expect(r.stderr).toContain('add the range (e.g. 127.0.0.1/32) to network.trustedRanges');
      expect(r.code).toBe(3);
    } finally {
      await setHba(STORY_HBA);
    }
  });

  it('refuses a consumer whose live session comes from outside the trusted ranges', async () => {
    await setHba(`${STORY_HBA}host all all 127.20.0.0/16 trust\n`);
    const old = clientFrom('127.20.0.5', {
      host: '127.0.0.1',
      port: s.cluster.port,
      user: 'postgres',
      database: 'workspace',
      application_name: 'agents',
    });
    await old.connect();
    try {
      const r = plan(
        'session-outside',
        '{ name: agents, file: agents.env, key: DATABASE_URL, role: agents_app, application: agents }',
      );
      expect(r.stderr).toContain('consumer "agents"');
      expect(r.stderr).toContain('127.20.0.5');
      expect(r.code).toBe(3);
    } finally {
      await old.end();
      await setHba(STORY_HBA);
    }
  });

  it('plans a consumer whose paths all survive the flip', () => {
    const r = plan(
      'fine',
      '{ name: agents, file: agents.env, key: DATABASE_URL, role: agents_app, application: agents }',
    );
    expect(r.stderr).not.toContain('cannot be made');
    expect(r.code).toBe(0);
  });

  it('refuses a DSN for another server (another port on this host)', () => {
    writeFileSync(
      join(s.dir, 'other.env'),
      `DATABASE_URL=postgres://postgres@127.0.0.1:${s.cluster.port + 1}/workspace\n`,
    );
    const r = plan('other-port', '{ name: other, file: other.env, role: agents_app }');
    expect(r.stderr).toContain('consumer "other"');
    expect(r.stderr).toContain(`port ${s.cluster.port + 1}`);
    expect(r.stderr).toContain('another server');
    expect(r.code).toBe(2);
  });

  it('lists every consumer problem at once', () => {
    writeFileSync(
      join(s.dir, 'other2.env'),
      `DATABASE_URL=postgres://postgres@127.0.0.1:${s.cluster.port + 2}/workspace\n`,
    );
    const file = consumerSpec(s, 'two-bad', [
      '{ name: far, file: other2.env, role: agents_app }',
      '{ name: dev, file: /dev/null, role: agents_app }',
    ]);
    const r = pgharden(['plan', '--spec', file, '--out', join(s.dir, 'plans', 'two-bad'), ...skip]);
    expect(r.stderr).toContain('consumer "far"');
    expect(r.stderr).toContain('consumer "dev": cannot read /dev/null (is a character device, not a regular file');
    expect(r.code).toBe(2);
  });

  it.each([
    ['a character device', () => '/dev/zero', 'is a character device, not a regular file'],
    [
      'a FIFO',
      () => {
        const p = join(s.dir, 'fifo.env');
        spawnSync('mkfifo', [p]);
        return p;
      },
      'is a FIFO (named pipe), not a regular file',
    ],
    ['a directory', () => s.dir, 'is a directory'],
    [
      'a file over 16 MiB',
      () => {
        const p = join(s.dir, 'huge.env');
        const fd = openSync(p, 'w');
        ftruncateSync(fd, 17 * 1024 * 1024);
        closeSync(fd);
        return p;
      },
      'more than the 16 MiB pgharden reads',
    ],
  ])('refuses %s as a consumer file, without blocking', (_what, make, reason) => {
    const r = plan('bad-file', `{ name: odd, file: "${make()}", role: agents_app }`);
    expect(r.stderr).toContain('consumer "odd"');
    expect(r.stderr).toContain(reason);
    expect(r.code).toBe(2);
    // No wall-clock bound (a loaded machine is slow, not wrong): a read that blocks, as on a FIFO
    // with no writer, never returns, and the CLI run's hang detector turns it into a failed exit code.
  });
});
