/** `pgharden inspect hba` as a subprocess against scratch clusters: the CLI contract. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startStoryCluster, VPN_DEVICE } from '../../src/scratch/story.js';
import { probe } from '../../src/hba/probe.js';
import { testedInstalls, useCluster, type Cluster } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';

const dsn = (port: number) => `postgres://postgres@127.0.0.1:${port}/postgres`;

describe.each(testedInstalls())('pgharden inspect hba on PostgreSQL $major', (install) => {
  const cluster = useCluster(install);

  it("without FILE reads the server's own pg_hba.conf and prints the view's rows", async () => {
    const c = cluster();
    const r = pgharden(['inspect', 'hba', '--json', '--dsn', dsn(c.port)]);
    expect(r.code).toBe(0);
    const fileCol = c.major >= 16 ? 'file_name' : `'${c.hbaFile}'::text`;
    const server = await c.query(
      `SELECT ${fileCol} AS file, line_number, type, database, user_name, address, netmask, auth_method, options, error FROM pg_hba_file_rules ORDER BY line_number`,
    );
    expect(JSON.parse(r.stdout)).toEqual(server);
  });

  it("inspect conf without FILE reads the server's config and judges it as pg_file_settings does", async () => {
    const c = cluster();
    const r = pgharden(['inspect', 'conf', '--json', '--dsn', dsn(c.port)]);
    const server = await c.query(
      'SELECT sourcefile, sourceline, seqno, name, setting, applied, error FROM pg_file_settings ORDER BY seqno',
    );
    expect(JSON.parse(r.stdout)).toEqual(server);
    // initdb's max_connections differs from the test server's command-line value: a restart-only change, an error.
    expect(server.some((row) => row.error !== null)).toBe(true);
    expect(r.code, r.stderr).toBe(1);
  });

  it('exits 1 and names file, line and column for a line the server rejects', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgharden-cli-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'pg_hba.conf');
    writeFileSync(file, 'local all all peer\nhost all all 10.0.0.0/8 md6\n');
    const r = pgharden(['inspect', 'hba', file, '--pg-version', String(install.major), '--ssl', 'off']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${file}:2:25: invalid authentication method "md6"`);
  });

  it('exits 2 for a missing file and for a bad flag, saying what to do next', () => {
    const missing = pgharden(['inspect', 'hba', '/nonexistent/pg_hba.conf']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Cannot read "\/nonexistent\/pg_hba.conf": no such file\nNext: /);
    const bad = pgharden(['inspect', 'hba', '--pg-version', '9']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--pg-version "9" is not a supported major');
  });
});

describe.each(testedInstalls())('pgharden inspect who on the story cluster, PostgreSQL $major', (install) => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startStoryCluster(install);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it.each([
    ['postgres', 'workspace', VPN_DEVICE, 9, 'trust', 'ok'],
    ['postgres', 'workspace', '127.0.0.1', 7, 'trust', 'ok'],
    ['postgres', 'workspace', '127.99.0.1', null, null, 'no-entry'],
  ])('%s@%s from %s hits line %s (%s), and the server agrees', async (user, db, from, line, method, answer) => {
    const r = pgharden([
      'inspect',
      'who',
      '--user',
      user,
      '--db',
      db,
      '--from',
      from,
      '--json',
      '--dsn',
      `postgres://postgres@127.0.0.1:${cluster.port}/postgres`,
    ]);
    expect(r.code).toBe(0);
    const expected = line === null ? null : { file: cluster.hbaFile, line_number: line, auth_method: method };
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ match: expected, undecided: null });
    const p = await probe({ host: '127.0.0.1', port: cluster.port, localAddress: from, user, database: db });
    expect(p.kind === 'error' ? p.class : p.kind).toBe(answer);
    // The first answer it reports is the server's (none when nothing matches).
    expect(out.answer?.first ?? 'no-entry').toBe(answer);
  });
});
