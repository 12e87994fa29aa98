import { describe, expect, it } from 'vitest';
import { buildEnablePlan, type EnableInput, pgbackrestConf } from '../../../src/pitr/enable-plan.js';
import { stanzaFor } from '../../../src/pitr/enable.js';

const absent = (path: string) => ({ path, sha256: null, mode: null, uid: null, gid: null });
const input = (o: Partial<EnableInput> = {}, setup: Partial<EnableInput['setup']> = {}): EnableInput => ({
  name: 'pitr',
  planDir: '/srv/plans/pitr',
  createdAt: '2026-11-30T10:00:00.000Z',
  version: '0.1.0',
  target: { cluster: '15/main' },
  server: {
    major: 15,
    version: '15.8',
    hbaFile: '/etc/postgresql/15/main/pg_hba.conf',
    configFile: '/etc/postgresql/15/main/postgresql.conf',
    autoConfFile: '/var/lib/postgresql/15/main/postgresql.auto.conf',
    dataDirectory: '/var/lib/postgresql/15/main',
    adminRole: 'postgres',
    socketDir: '/var/run/postgresql',
    port: 5432,
    systemIdentifier: '7300000000000000001',
  },
  serverUser: { name: 'postgres', uid: 105, gid: 110 },
  asRoot: true,
  running: { archiveMode: 'off', walLevel: 'replica' },
  autoConf: {
    path: '/var/lib/postgresql/15/main/postgresql.auto.conf',
    sha256: 'a'.repeat(64),
    mode: 0o600,
    uid: 105,
    gid: 110,
    settings: {},
  },
  configBinding: absent('/etc/pgbackrest/conf.d/15-main.conf'),
  missingConfigDirs: [],
  setup: {
    stanza: '15-main',
    configFile: '/etc/pgbackrest/conf.d/15-main.conf',
    repo: '/var/lib/pgbackrest',
    retentionFull: 2,
    restartCommand: 'pg_ctlcluster 15 main restart',
    restarts: true,
    ...setup,
  },
  ...o,
});
const ids = (i: EnableInput) => buildEnablePlan(i, 'x').steps.map((s) => s.id);

describe('the pitr enable plan', () => {
  it("creates the configuration file's missing directories first (Debian has no /etc/pgbackrest/conf.d), undone when empty", () => {
    const plan = buildEnablePlan(input({ missingConfigDirs: ['/etc/pgbackrest', '/etc/pgbackrest/conf.d'] }), 'x');
    const dirs = plan.steps.filter((s) => s.id.startsWith('pgbackrest/config-dir'));
    expect(dirs.map((s) => [s.forward, s.undo])).toEqual([
      [
        { do: 'mkdir', path: '/etc/pgbackrest', mode: 0o755, uid: 0, gid: 0 },
        { do: 'remove-file', path: '/etc/pgbackrest' },
      ],
      [
        { do: 'mkdir', path: '/etc/pgbackrest/conf.d', mode: 0o755, uid: 0, gid: 0 },
        { do: 'remove-file', path: '/etc/pgbackrest/conf.d' },
      ],
    ]);
    const order = plan.steps.map((s) => s.id);
    expect(order.indexOf('pgbackrest/config-dir-2')).toBeLessThan(order.indexOf('pgbackrest/config'));
  });

  it('names the stanza after a Debian cluster, else after the major and port', () => {
    expect(stanzaFor('/etc/postgresql/15/main/postgresql.conf', 15, 5432)).toBe('15-main');
    expect(stanzaFor('/srv/pg/data/postgresql.conf', 18, 5433)).toBe('pg18-5433');
  });

  it("writes pgBackRest's options in the stanza's own section", () => {
    expect(pgbackrestConf(input())).toBe(
      [
        '# pgBackRest for PostgreSQL 15 at /var/lib/postgresql/15/main, written by pgharden pitr enable (plan /srv/plans/pitr).',
        "# The server's archive_command names this file; pgharden rollback /srv/plans/pitr removes it.",
        '[15-main]',
        'repo1-path=/var/lib/pgbackrest',
        'repo1-retention-full=2',
        'start-fast=y',
        'pg1-path=/var/lib/postgresql/15/main',
        'pg1-port=5432',
        'pg1-socket-path=/var/run/postgresql',
        'pg1-user=postgres',
        '',
      ].join('\n'),
    );
  });

  it('with --restart: a restart step of its own, undone by a restart; the config file 0640 root:<server group>', () => {
    const plan = buildEnablePlan(input(), 'x');
    expect(plan.steps.map((s) => s.id)).toEqual([
      'preflight/lock',
      'preflight/backup',
      'preflight/admin-path',
      'pgbackrest/repository',
      'pgbackrest/config',
      'archiving/settings',
      'archiving/reload',
      'restart/server',
      'prove/stanza-create',
      'prove/check',
      'prove/wal-switch',
    ]);
    const restart = plan.steps.find((s) => s.id === 'restart/server')!;
    expect([restart.forward, restart.undo, restart.verify]).toEqual([
      { do: 'restart' },
      { do: 'restart' },
      [{ check: 'setting', name: 'archive_mode', value: 'on' }],
    ]);
    const conf = plan.steps.find((s) => s.id === 'pgbackrest/config')!;
    expect(conf.forward).toMatchObject({ mode: 0o640, uid: 0, gid: 110 });
    expect(conf.undo).toEqual({ do: 'remove-file', path: '/etc/pgbackrest/conf.d/15-main.conf' });
    expect(plan.steps.find((s) => s.id === 'archiving/settings')!.forward).toEqual({
      do: 'sql',
      database: 'postgres',
      statements: [
        "ALTER SYSTEM SET archive_mode = 'on'",
        "ALTER SYSTEM SET archive_command = 'pgbackrest --config=/etc/pgbackrest/conf.d/15-main.conf --stanza=15-main archive-push %p'",
      ],
    });
    expect(plan.purpose).toBe('pitr');
  });

  it('without --restart: a stop per setting that needs the restart, naming the line to run', () => {
    const i = input({ running: { archiveMode: 'off', walLevel: 'minimal' } }, { restarts: false });
    expect(ids(i)).toContain('restart/wait-archive-mode');
    expect(ids(i)).toContain('restart/wait-wal-level');
    const wait = buildEnablePlan(i, 'x').steps.find((s) => s.id === 'restart/wait-wal-level')!;
    expect(wait.forward).toEqual({
      do: 'gate',
      until: { gate: 'setting', name: 'wal_level', value: 'replica', advice: 'pg_ctlcluster 15 main restart' },
      timeoutMs: 0,
    });
  });

  it('needs no restart when the server archives already; an existing config file is restored, not removed', () => {
    const i = input({
      running: { archiveMode: 'on', walLevel: 'replica' },
      configBinding: {
        ...absent('/etc/pgbackrest/conf.d/15-main.conf'),
        sha256: 'b'.repeat(64),
        mode: 0o640,
        uid: 0,
        gid: 110,
      },
    });
    expect(ids(i).filter((id) => id.startsWith('restart/'))).toEqual([]);
    expect(buildEnablePlan(i, 'x').steps.find((s) => s.id === 'pgbackrest/config')!.undo).toEqual({
      do: 'restore-file',
      path: '/etc/pgbackrest/conf.d/15-main.conf',
      backup: 'backup/01-15-main.conf',
    });
  });
});

describe('pitr enable input that would inject pgBackRest options', () => {
  it('refuses a --repo with a line break before connecting (exit 2)', async () => {
    const { makeEnablePlan } = await import('../../../src/pitr/enable.js');
    await expect(
      makeEnablePlan({
        repos: ['/tmp/a\nrepo1-host=evil'],
        out: '/tmp/x',
        connection: { dsn: 'host=/nonexistent' },
        version: '0',
        now: new Date(),
      }),
    ).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('control character') });
  });
  it('refuses to write a configuration line with a line break from the server', () => {
    const i = input();
    expect(() => pgbackrestConf({ ...i, server: { ...i.server, socketDir: '/run/pg\nrepo1-host=evil' } })).toThrow(
      /line break/,
    );
  });
});

describe('the pitr enable plan with an S3 repository', () => {
  const s3 = {
    bucket: 'backups',
    path: '/pg/15-main',
    endpoint: '127.0.0.1',
    port: 9000,
    region: 'us-east-1',
    uriStyle: 'path' as const,
    secretsFile: '/etc/pgbackrest/conf.d/15-main.secrets',
  };
  const secretsText = 'repo1-cipher-pass=PASSPHRASE\nrepo1-s3-key=KEYID\nrepo1-s3-key-secret=KEYSECRET\n';
  const plan = () =>
    buildEnablePlan(input({ secretsText }, { repo: 's3://backups/pg/15-main', s3, retentionDiff: 4 }), 'x');
  it('writes repo1 as an encrypted object store, the secrets only by reference to the secrets file', () => {
    const p = plan();
    const json = JSON.stringify(p);
    for (const secret of ['PASSPHRASE', 'KEYID', 'KEYSECRET']) expect(json).not.toContain(secret);
    const config = p.steps.find((s) => s.id === 'pgbackrest/config')!.forward;
    expect(config).toMatchObject({ do: 'write-file', appendFrom: s3.secretsFile });
    const text = (config as { content: string }).content;
    for (const line of [
      'repo1-type=s3',
      'repo1-path=/pg/15-main',
      'repo1-s3-bucket=backups',
      'repo1-storage-port=9000',
    ])
      expect(text).toContain(`${line}\n`);
    expect(text).toContain('repo1-cipher-type=aes-256-cbc\n');
    expect(text).toContain('repo1-retention-diff=4\n');
    expect(text).not.toContain('repo2-');
  });
  it('makes no local repository, removes the secrets file on rollback, and proves archiving by pgbackrest check', () => {
    const p = plan();
    expect(p.steps.map((s) => s.id)).not.toContain('pgbackrest/repository');
    expect(p.steps.map((s) => s.id)).not.toContain('prove/wal-switch');
    expect(p.steps.find((s) => s.id === 'pgbackrest/s3-secrets')!.undo).toEqual({
      do: 'remove-file',
      path: s3.secretsFile,
    });
    expect(p.notices.join('\n')).toContain('it never deletes an object in the bucket');
  });
  it('with a local directory too: repo2 is that directory, made and proven as before', () => {
    const p = buildEnablePlan(input({ secretsText }, { repo: '/var/lib/pgbackrest', s3 }), 'x');
    const text = (p.steps.find((s) => s.id === 'pgbackrest/config')!.forward as { content: string }).content;
    expect(text).toContain('repo2-path=/var/lib/pgbackrest\nrepo2-retention-full=2\n');
    expect(p.steps.map((s) => s.id)).toEqual(expect.arrayContaining(['pgbackrest/repository', 'prove/wal-switch']));
  });
});
