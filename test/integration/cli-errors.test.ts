/**
 * Bad invocations a user can cause: each exits 2 with a message and the next step, never a stack
 * trace or "internal error". No server is needed: a free port is a server that is down.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/cluster.js';
import { createDebianCluster, debianUnavailable, type DebianCluster } from '../support/debian.js';
import { CLI, pgharden } from '../support/cli.js';

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
      join(dir, 'typo.yaml'),
      'network:\n  trustedRange: [10.8.0.0/24]\nroles: [{ name: app, template: readonly, databases: [postgres] }]\n',
    );
    writeFileSync(
      join(dir, 'good.yaml'),
      'network: { trustedRanges: [10.8.0.0/24] }\nroles: [{ name: app, template: readonly, databases: [postgres] }]\n',
    );
    mkdirSync(join(dir, 'a-directory'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const down =
    /the server is not running there \(connect ECONNREFUSED[^\n]*\nNext: start it as the server's OS user \(pg_ctl -D DATA_DIRECTORY start\)/;
  const cases = (): [string, string[], RegExp][] => [
    [
      'server down (TCP)',
      ['audit', '--dsn', `host=127.0.0.1 port=${port} user=postgres`],
      /Cannot connect to PostgreSQL at host=127\.0\.0\.1 port=\d+ user=postgres.*ECONNREFUSED/,
    ],
    ['server down, audit', ['audit', '--dsn', `host=127.0.0.1 port=${port} user=postgres`], down],
    ['server down, backup', ['backup', '--out', join(dir, 'bk/nightly'), '--dsn', `host=127.0.0.1 port=${port}`], down],
    ['server down, runbook', ['runbook', '--dsn', `host=127.0.0.1 port=${port} user=postgres`], down],
    ['server down, pitr drill', ['pitr', 'drill', '--latest', '--dsn', `host=127.0.0.1 port=${port}`], down],
    [
      'an unknown option',
      ['audit', '--clustr', '15/main'],
      /unknown option "--clustr"; did you mean --cluster\?\nNext: pgharden audit --help/,
    ],
    ['an option without its value', ['plan', '--spec'], /--spec needs a value/],
    [
      'a typo in a spec key',
      ['plan', '--spec', join(dir, 'typo.yaml')],
      /typo\.yaml:2: network: unknown key "trustedRange" \(did you mean "trustedRanges"\?\)/,
    ],
    [
      'a YAML error, with the line and a caret',
      ['plan', '--spec', join(dir, 'broken.yaml')],
      /broken\.yaml:2: not valid YAML \(column 1\): Flow sequence[^\n]*\n {6}network: \{ trustedRanges: \[10\.8\.0\.0\/24\n {6}roles: \[\n {6}\^/,
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
    // Nothing half-made: the backup that could not connect left no --out directory.
    expect(existsSync(join(dir, 'bk'))).toBe(false);
  });

  it.skipIf(process.getuid?.() !== 0)(
    "a normal user meets root's private plan: run as root (sudo pgharden …) or as the server's OS user, exit 2",
    () => {
      const plans = join(dir, 'plans', 'root-only');
      mkdirSync(plans, { recursive: true });
      writeFileSync(join(plans, 'plan.json'), '{}\n', { mode: 0o600 });
      chmodSync(dir, 0o755);
      for (const verb of ['rollback', 'apply', 'status']) {
        const r = spawnSync(
          '/usr/sbin/runuser',
          ['-u', 'nobody', '--', process.execPath, CLI, verb, plans, ...(verb === 'apply' ? ['--yes'] : [])],
          {
            encoding: 'utf8',
            env: { PATH: process.env.PATH, NO_COLOR: '1' },
          },
        );
        expect(`${verb}: exit ${r.status}\n${r.stderr}`).toMatch(
          new RegExp(
            `^${verb}: exit 2\npgharden: Cannot read ${plans}/plan\\.json: permission denied[^\n]*\nNext: run as root \\(sudo pgharden \\.\\.\\.\\) or as the server's OS user`,
          ),
        );
      }
    },
  );
});

describe.skipIf(debianUnavailable() !== undefined)('a stopped Debian cluster, as root', () => {
  let cluster: DebianCluster;
  let work: string;

  beforeAll(async () => {
    cluster = await createDebianCluster();
    work = mkdtempSync(join(tmpdir(), 'pgharden-down-'));
    writeFileSync(
      join(work, 'harden.yaml'),
      'network: { trustedRanges: [127.10.0.0/16] }\nroles: [{ name: app_ro, template: readonly, databases: [workspace] }]\n',
    );
    const plan = pgharden(['plan', '--spec', join(work, 'harden.yaml'), '--out', join(work, 'plans/deb')], {
      PGCLUSTER: cluster.id,
    });
    expect(plan.code).toBe(0);
    execFileSync('pg_ctlcluster', ['15', cluster.name, 'stop']);
  });
  afterAll(() => {
    cluster?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('every connecting command names postgres over the socket, says it is down, gives pg_ctlcluster … start, exit 2', () => {
    const plans = join(work, 'plans/deb');
    const c = ['--cluster', cluster.id];
    const commands: string[][] = [
      ['audit', ...c],
      ['review', plans],
      ['backup', '--out', join(work, 'nightly'), ...c],
      ['runbook', ...c],
      ['pitr', 'drill', '--latest', ...c],
      ['apply', plans, '--yes'],
      // --cluster is accepted by apply as an override naming the plan's own server.
      ['apply', plans, '--yes', ...c],
    ];
    for (const args of commands) {
      const r = pgharden(args);
      const said = `${args.join(' ')}: exit ${r.code}\n${r.stderr}`;
      expect(said).toContain(`${args.join(' ')}: exit 2\n`);
      expect(said).toMatch(/the server is not running/);
      expect(said).toContain(`Next: start it: pg_ctlcluster 15 ${cluster.name} start`);
      if (args[0] !== 'apply') {
        expect(said).toContain(
          `port=${cluster.port} user=postgres dbname=postgres (cluster ${cluster.id}, as OS user postgres`,
        );
        expect(said).not.toMatch(/user=root|pass --cluster/);
      }
    }
    expect(existsSync(join(work, 'nightly'))).toBe(false);
  });

  it("refuses --dsn naming another server than the plan's (exit 3), for apply, status and rollback", () => {
    const plans = join(work, 'plans/deb');
    for (const verb of ['apply', 'status', 'rollback']) {
      const r = pgharden([
        verb,
        plans,
        ...(verb === 'apply' ? ['--yes'] : []),
        '--dsn',
        'host=/var/run/postgresql port=1',
      ]);
      expect(`${verb}: exit ${r.code}\n${r.stderr}`).toMatch(
        new RegExp(
          `^${verb}: exit 3\\npgharden: --dsn names the server at /var/run/postgresql port 1, but ${plans} was made for the one at /var/run/postgresql port ${cluster.port}`,
        ),
      );
    }
  });
});
