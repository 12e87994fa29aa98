/**
 * `pgharden audit` of a 20,000-line pg_hba.conf stays grouped and short: each finding shows at
 * most --limit evidence lines (default 10) and says how many more there are; --limit 0 and
 * --json carry every one.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStoryCluster, STORY_HBA } from '../../src/scratch/story.js';
import { testedInstalls, type Cluster } from '../support/cluster.js';
import { CLI } from '../support/cli.js';

/** pgharden as a subprocess, with room for megabytes of output. */
function pgharden(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 1 << 28,
    timeout: 600_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const RULES = 20_000;

describe.each(testedInstalls())('pgharden audit of a large pg_hba.conf on PostgreSQL $major', (install) => {
  let c: Cluster;
  let dsn: string;

  beforeAll(async () => {
    c = await startStoryCluster(install);
    const st = statSync(c.hbaFile);
    const rules = Array.from(
      { length: RULES },
      (_, i) =>
        `host    db${i % 50}   app${i % 90}   10.${(i >> 8) & 255}.${i & 255}.0/24   ${i % 2 ? 'trust' : 'md5'}\n`,
    );
    writeFileSync(c.hbaFile, STORY_HBA + rules.join(''));
    chownSync(c.hbaFile, st.uid, st.gid);
    dsn = `postgres://postgres@127.0.0.1:${c.port}/postgres`;
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('shows at most --limit evidence lines per finding, and the JSON keeps them all', () => {
    const json = pgharden(['audit', '--dsn', dsn, '--json']);
    expect(json.code).toBe(1);
    const findings = (JSON.parse(json.stdout) as { findings: { id: string; evidence: string[] }[] }).findings;
    const trust = findings.find((f) => f.id === 'hba-trust-network' && f.evidence.length > 1000)!;
    expect(trust.evidence.length).toBeGreaterThanOrEqual(RULES / 2);

    const text = pgharden(['audit', '--dsn', dsn]);
    expect(text.code).toBe(1);
    expect(text.stdout.split('\n').length).toBeLessThan(findings.length * 20 + 60);
    expect(text.stdout).toContain(
      `… and ${trust.evidence.length - 10} more (pgharden audit --limit 0, or --json, shows every one)`,
    );
    const three = pgharden(['audit', '--dsn', dsn, '--limit', '3']);
    expect(three.stdout).toContain(`… and ${trust.evidence.length - 3} more`);
    const all = pgharden(['audit', '--dsn', dsn, '--limit', '0']);
    expect(all.stdout.split('\n').length).toBeGreaterThan(RULES);
    expect(pgharden(['audit', '--dsn', dsn, '--limit', 'many']).code).toBe(2);
  });
});
