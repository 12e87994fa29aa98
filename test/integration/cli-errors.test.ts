/**
 * Bad invocations a user can cause: each exits 2 with a message and the next step, never a stack
 * trace or "internal error". No server is needed: a free port is a server that is down.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';

describe('bad invocations', () => {
  let dir: string;
  let port: number;
  const env = { PGHOST: '/nonexistent-socket-dir', PGPORT: '1', PGCLUSTER: '' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pgharden-errors-'));
    port = await freePort();
    writeFileSync(join(dir, 'broken.yaml'), 'network: { trustedRanges: [10.8.0.0/24\nroles: [\n');
    writeFileSync(join(dir, 'unknown.yaml'), 'network: { trustedRanges: [10.8.0.0/24] }\nrole: []\n');
    writeFileSync(
      join(dir, 'good.yaml'),
      'network: { trustedRanges: [10.8.0.0/24] }\nroles: [{ name: app, template: readonly, databases: [postgres] }]\n',
    );
    mkdirSync(join(dir, 'a-directory'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases = (): [string, string[], RegExp][] => [
    [
      'server down (TCP)',
      ['audit', '--dsn', `host=127.0.0.1 port=${port} user=postgres`],
      /Cannot connect to PostgreSQL at host=127\.0\.0\.1 port=\d+ user=postgres.*ECONNREFUSED/,
    ],
    [
      'server down, plan',
      ['plan', '--spec', join(dir, 'good.yaml'), '--dsn', `postgresql://postgres@127.0.0.1:${port}/postgres`],
      /Cannot connect to PostgreSQL/,
    ],
    ['wrong port on the socket', ['audit', '--dsn', `host=${dir} port=${port}`], /Cannot connect.*ENOENT/],
    [
      'missing socket directory',
      ['audit', '--dsn', 'host=/nonexistent/dir user=postgres'],
      /Cannot connect.*\/nonexistent\/dir/,
    ],
    ['a URI libpq refuses', ['audit', '--dsn', 'postgresql://[::1'], /matching "\]"/],
    ['an unknown keyword', ['audit', '--dsn', 'host=/tmp bogus=1'], /invalid connection option "bogus"/],
    ['an unknown service', ['audit', '--dsn', 'service=nope'], /definition of service "nope" not found/],
    ['an unknown Debian cluster', ['audit', '--cluster', '15/nope'], /Cluster 15 nope does not exist/],
    ['a malformed cluster name', ['audit', '--cluster', 'main'], /not a cluster name of the form VERSION\/NAME/],
    ['missing spec', ['plan', '--spec', join(dir, 'nope.yaml')], /Cannot read the spec/],
    ['spec that is a directory', ['plan', '--spec', join(dir, 'a-directory')], /Cannot read the spec/],
    ['broken spec', ['plan', '--spec', join(dir, 'broken.yaml')], /broken\.yaml has 1 problem/],
    ['spec with an unknown key', ['plan', '--spec', join(dir, 'unknown.yaml')], /unknown key "role"/],
    ['missing plan (review)', ['review', join(dir, 'plans/none')], /No plan at/],
    ['missing plan (apply)', ['apply', join(dir, 'plans/none'), '--yes'], /No plan at/],
    ['missing plan (status)', ['status', join(dir, 'plans/none')], /No plan at/],
    [
      'backup into a path under a file',
      ['backup', '--out', '/etc/passwd/backups', '--dsn', `host=127.0.0.1 port=${port}`],
      /"\/etc\/passwd\/backups": a part of the path is not a directory/,
    ],
    ['consumers --scan of a missing directory', ['consumers', '--scan', join(dir, 'nope')], /Cannot scan/],
    ['inspect a missing file', ['inspect', 'hba', join(dir, 'nope.conf')], /Cannot read/],
  ];

  it('each exits 2 with a message and the next step, no stack trace', () => {
    for (const [what, args, message] of cases()) {
      const r = pgharden(args, env);
      const said = `${what}: exit ${r.code}\n${r.stderr}`;
      expect(said).toMatch(message);
      expect(said).toContain(`${what}: exit 2\n`);
      expect(r.stderr, what).not.toMatch(/\n\s+at .*:\d+:\d+|internal error/);
    }
  });
});
