/**
 * What `pgharden plan` refuses before it writes anything (exit 2, every reason with its spec
 * line): names PostgreSQL or pg_hba.conf cannot hold, "anywhere" as a trusted range, an IPv6
 * zone; consumer files that are no regular file (/dev/zero, a FIFO); and, against the live
 * server, a schema that does not exist and a target.dataDir that names another cluster.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStoryCluster, VPN_RANGE } from '../../src/scratch/story.js';
import { testedInstalls, type Cluster } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';

describe.each(testedInstalls())('pgharden plan refuses bad input on PostgreSQL $major', (install) => {
  let c: Cluster;
  let dir: string;
  let dsn: string;
  const plan = (name: string, spec: string) => {
    writeFileSync(join(dir, `${name}.yaml`), spec);
    const out = join(dir, 'plans', name);
    return { ...pgharden(['plan', '--spec', join(dir, `${name}.yaml`), '--out', out, '--skip-backup']), out };
  };

  /** A spec with one role (a YAML flow map), extra target keys and extra top-level text. */
  const oneRole = (role: string, target = '', rest = '') =>
    `target: { dsn: "${dsn}"${target} }\nnetwork: { trustedRanges: [${VPN_RANGE}] }\nroles:\n  - ${role}\n${rest}`;

  beforeAll(async () => {
    c = await startStoryCluster(install);
    dir = mkdtempSync(join(tmpdir(), 'pgharden-plan-input-'));
    dsn = `postgres://postgres@127.0.0.1:${c.port}/postgres`;
  });
  afterAll(async () => {
    await c?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a name with a newline, a 64-byte name, pg_x and public, each with its line', () => {
    const r = plan(
      'names',
      [
        `target: { dsn: "${dsn}" }`,
        `network: { trustedRanges: [${VPN_RANGE}, 0.0.0.0/0, "fe80::1%eth0/64"] }`,
        'roles:',
        '  - { name: "x\\nhost all all 0.0.0.0/0 trust #", template: readonly, databases: [workspace] }',
        `  - { name: ${'é'.repeat(32)}, template: readonly, databases: [workspace] }`,
        '  - { name: pg_x, template: readonly, databases: [workspace] }',
        '  - { name: public, template: readonly, databases: [workspace] }',
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(2);
    const file = join(dir, 'names.yaml');
    for (const line of [
      `${file}:4: roles[0].name: cannot contain a newline`,
      `${file}:5: roles[1].name: "${'é'.repeat(32)}" is 64 bytes in UTF-8`,
      `${file}:6: roles[2].name: "pg_x": role names starting with "pg_" are reserved`,
      `${file}:7: roles[3].name: "public" is a reserved role name`,
      `${file}:2: network.trustedRanges[1]: "0.0.0.0/0" is every address`,
      `${file}:2: network.trustedRanges[2]: an IPv6 zone`,
    ])
      expect(r.stderr).toContain(line);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(r.out)).toBe(false);
  });

  it('refuses /dev/zero and a FIFO as consumer files at once, with the reason', () => {
    execFileSync('mkfifo', [join(dir, 'app.fifo')]);
    for (const [name, file, reason] of [
      ['zero', '/dev/zero', 'is a character device, not a regular file'],
      ['fifo', join(dir, 'app.fifo'), 'is a FIFO (named pipe), not a regular file'],
    ] as const) {
      const r = plan(
        name,
        oneRole(
          '{ name: app_rw, template: readonly, databases: [workspace] }',
          '',
          `consumers:\n  - { name: app, file: ${file}, role: app_rw }\n`,
        ),
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`consumer "app": cannot read ${file} (${reason}`);
    }
    // No wall-clock bound (a loaded machine is slow, not wrong): a read that blocks, as on a FIFO
    // with no writer, never returns, and the CLI run's hang detector turns it into a failed exit code.
  });

  it('refuses a schema that does not exist and a data directory of another cluster', () => {
    const r = plan(
      'server',
      oneRole('{ name: reports_ro, template: readonly, databases: [workspace], schema: reports }'),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${join(dir, 'server.yaml')}:4: roles[0].schema: no schema "reports" in database "workspace"`,
    );
    const d = plan(
      'datadir',
      oneRole(
        '{ name: reports_ro, template: readonly, databases: [workspace] }',
        ', dataDir: /var/lib/postgresql/elsewhere',
      ),
    );
    expect(d.code).toBe(2);
    expect(d.stderr).toContain(
      `${join(dir, 'datadir.yaml')}:1: target.dataDir: /var/lib/postgresql/elsewhere, but the server's data_directory is ${c.dataDir}`,
    );
    expect(existsSync(d.out)).toBe(false);
  });
});
