/**
 * A real Debian-packaged cluster, run the way its users run pgharden: as root (sudo), with only
 * PGCLUSTER set, config in /etc/postgresql/15/NAME, the packaged `local all postgres peer`.
 * audit → plan (spec without target) → review (no flags) → apply → the server's answers →
 * rollback → every /etc file byte-identical with mode and owner.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFrom } from '../../src/connect/from-address.js';
import { CLI } from '../support/cli.js';
import { createDebianCluster, debianUnavailable, treeIdentity, type DebianCluster } from '../support/debian.js';

const REPL_SECRET = 'Repl-S3cret-7f2';
const ARCHIVE_SECRET = 'Arch-S3cret-9c4';
/** An OS user that is neither root nor the server's: a cron job or an application on the database host. */
const osUser = `pghu${process.pid}`;

/** A client tool run by that OS user through Debian's pg_wrapper (/usr/bin), with only PATH and the given variables. */
function asOtherUser(argv: string[], env: Record<string, string> = {}) {
  const r = spawnSync('/usr/sbin/runuser', ['-u', osUser, '--', ...argv], {
    cwd: '/',
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin', ...env },
    timeout: 600_000, // a hang detector (vitest.config.ts), not a speed limit
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const why = debianUnavailable();
if (why) console.log(`debian.test.ts skipped: ${why}`);

/** pgharden as `sudo pgharden ...` runs it: root, the given environment only (no PG* leaking in). */
function sudoPgharden(args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: '/root', NO_COLOR: '1', ...env },
    timeout: 600_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

async function attempt(config: pg.ClientConfig, from?: string): Promise<string> {
  const c = from ? clientFrom(from, config) : new pg.Client(config);
  try {
    await c.connect();
    await c.end();
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
}

describe.skipIf(why !== undefined)('a Debian-packaged cluster, run as root with PGCLUSTER', () => {
  let cluster: DebianCluster;
  let work: string;
  let etcBefore: Record<string, string>;
  let consumer: string;
  let consumerBefore: Buffer;
  const env = () => ({ PGCLUSTER: cluster.id });

  beforeAll(async () => {
    cluster = await createDebianCluster();
    // Settings that hold a password, as a standby-ready primary has them (inert here: archive_mode is off).
    appendFileSync(
      join(cluster.configDir, 'postgresql.conf'),
      `primary_conninfo = 'host=10.0.0.9 user=replicator password=${REPL_SECRET}'\narchive_command = 'PGPASSWORD=${ARCHIVE_SECRET} /bin/true'\n`,
    );
    execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', osUser]);
    work = mkdtempSync(join(tmpdir(), 'pgharden-debian-'));
    chmodSync(work, 0o755);
    consumer = join(work, 'agents.env');
    // The consumer file belongs to root and only root's group may read it, as on a real server.
    writeFileSync(consumer, `# agents\nDATABASE_URL=postgres://postgres@127.0.0.1:${cluster.port}/workspace\n`, {
      mode: 0o640,
    });
    consumerBefore = readFileSync(consumer);
    writeFileSync(
      join(work, 'harden.yaml'),
      [
        'network: { trustedRanges: [127.10.0.0/16] }',
        'roles:',
        '  - { name: agents_app, template: app-readwrite, databases: [workspace], readOnlyTables: [agents_kill_switch] }',
        'consumers:',
        '  - { name: agents, file: agents.env, key: DATABASE_URL, role: agents_app }',
        '',
      ].join('\n'),
    );
    etcBefore = treeIdentity(cluster.configDir);
  });

  afterAll(() => {
    spawnSync('userdel', [osUser]);
    cluster?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("audits as the server's OS user, with no connection setting but PGCLUSTER", () => {
    const r = sudoPgharden(['audit', '--json'], work, env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const audit = JSON.parse(r.stdout) as { server: { connectedAs: string }; findings: { id: string }[] };
    expect(audit.server.connectedAs).toBe('postgres');
    expect(audit.findings.map((f) => f.id)).toContain('hba-trust-network');
    // PGUSER=postgres as root: the same path, not root's own failing peer login.
    expect(sudoPgharden(['audit', '--json'], work, { ...env(), PGUSER: 'postgres' }).code).toBe(1);
  });

  it("plans from a spec without target, and reviews with no flags from the plan's own target", () => {
    const plan = sudoPgharden(['plan', '--spec', 'harden.yaml', '--out', 'plans/deb'], work, env());
    expect(plan.stderr + plan.stdout).toContain('Plan saved');
    expect(plan.code).toBe(0);
    const saved = JSON.parse(readFileSync(join(work, 'plans/deb/plan.json'), 'utf8')) as {
      target: unknown;
      server: { hbaFile: string };
    };
    expect(saved.target).toEqual({ cluster: cluster.id, dsn: `host=/var/run/postgresql port=${cluster.port}` });
    expect(saved.server.hbaFile).toBe(join(cluster.configDir, 'pg_hba.conf'));
    expect(plan.stdout).toContain(`local   replication     postgres                                peer`);
    expect(plan.stdout).toContain("other OS users' psql, pg_dump and pg_lsclusters (Debian's pg_wrapper");
    expect(plan.stdout).toContain(`${cluster.configDir}/conf.d/pgharden-secrets.conf (mode 0600, owned by postgres)`);
    expect(plan.stdout + readFileSync(join(work, 'plans/deb/plan.json'), 'utf8')).not.toMatch(/S3cret/);
    // A misleading environment does not matter: the plan knows its cluster.
    const review = sudoPgharden(['review', 'plans/deb'], work, { PGHOST: '/nonexistent', PGPORT: '1' });
    expect(review.stderr).toBe('');
    expect(review.code).toBe(0);
    expect(review.stdout).toContain('Binding holds');
    // The moved lines are shown with their values redacted.
    expect(review.stdout).toContain("primary_conninfo = '<redacted>'");
    expect(review.stdout).not.toMatch(/S3cret/);
  });

  it('applies as root; the server then refuses passwordless and superuser logins from the VPN, and the OS user keeps its paths', async () => {
    const r = sudoPgharden(['apply', 'plans/deb', '--yes'], work);
    expect(r.stdout).toContain('0 failed');
    expect(r.code).toBe(0);
    const tcp = { host: '127.0.0.1', port: cluster.port, database: 'workspace' };
    expect(await attempt({ ...tcp, user: 'postgres' }, '127.10.0.7')).toMatch(
      /rejects connection|no pg_hba.conf entry/,
    );
    expect(
      await attempt(
        { ...tcp, user: 'agents_app', password: (() => undefined) as unknown as () => string },
        '127.10.0.7',
      ),
    ).toMatch(/password/);
    const url = /DATABASE_URL=(.*)/.exec(readFileSync(consumer, 'utf8'))![1]!;
    expect(url).toContain('agents_app:');
    expect(await attempt({ connectionString: url })).toBe('ok');
    // pg_basebackup, as the server's OS user over the socket: the replication admin path survived.
    const dest = join(work, 'basebackup');
    mkdirSync(dest, { mode: 0o700 });
    chownSync(
      dest,
      Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
      Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
    );
    execFileSync(
      'runuser',
      [
        '-u',
        'postgres',
        '--',
        '/usr/lib/postgresql/15/bin/pg_basebackup',
        '-h',
        '/var/run/postgresql',
        '-p',
        String(cluster.port),
        '-D',
        dest,
        '-X',
        'none',
        '-c',
        'fast',
      ],
      { stdio: 'pipe' },
    );
    expect(readFileSync(join(dest, 'PG_VERSION'), 'utf8').trim()).toBe('15');
    rmSync(dest, { recursive: true, force: true });
    expect(cluster.psql('SELECT count(*) FROM agents', 'workspace').trim()).toBe('12');
  });

  it("leaves postgresql.conf readable: another OS user's psql and pg_dump work through pg_wrapper, and no password is readable to it", () => {
    const conf = join(cluster.configDir, 'postgresql.conf');
    // A cron job's account: its own role over the socket (peer), the cluster chosen the Debian way.
    cluster.psql(`CREATE ROLE ${osUser} LOGIN IN ROLE pg_read_all_data`);
    const psql = asOtherUser(['psql', '-X', '-d', 'workspace', '-Atc', 'SELECT count(*) FROM agents'], {
      PGCLUSTER: cluster.id,
    });
    expect(psql.stderr).toBe('');
    expect(psql.stdout.trim()).toBe('12');
    expect(asOtherUser(['psql', '--version'], { PGCLUSTER: cluster.id }).stdout).toMatch(/psql \(PostgreSQL\) 15/);
    expect(asOtherUser(['pg_dump', '--cluster', cluster.id, '--version']).stdout).toMatch(/pg_dump \(PostgreSQL\) 15/);
    const dump = asOtherUser(['pg_dump', '--cluster', cluster.id, '-s', 'workspace']);
    expect(dump.stderr).toBe('');
    expect(dump.stdout).toContain('CREATE TABLE public.agents');
    cluster.psql(`DROP ROLE ${osUser}`);
    expect(statSync(conf).mode & 0o7777).toBe(0o644);
    // Drift knows the readable file was kept on purpose, from the plan and from the spec.
    for (const from of [['plans/deb'], ['--spec', 'harden.yaml']]) {
      const drift = sudoPgharden(['drift', ...from, '--json'], work, env());
      expect(drift.stdout, drift.stderr).not.toContain('"file-mode"');
      expect(drift.code, drift.stdout + drift.stderr).toBe(0);
    }
    // No file under /etc/postgresql/15/NAME that this user can read holds either password.
    const secretsFile = join(cluster.configDir, 'conf.d', 'pgharden-secrets.conf');
    for (const file of Object.keys(treeIdentity(cluster.configDir))) {
      const read = asOtherUser(['cat', file]);
      if (read.code === 0) expect(read.stdout, file).not.toMatch(/S3cret/);
    }
    expect(asOtherUser(['cat', secretsFile]).stderr).toContain('Permission denied');
    expect(statSync(secretsFile)).toMatchObject({
      mode: 0o100600,
      uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
    });
    expect(readFileSync(conf, 'utf8')).toContain(
      '# primary_conninfo: moved to conf.d/pgharden-secrets.conf by pgharden',
    );
    // The server's values are the ones it had.
    expect(cluster.psql('SHOW primary_conninfo').trim()).toBe(`host=10.0.0.9 user=replicator password=${REPL_SECRET}`);
    expect(
      cluster
        .psql("SELECT sourcefile || ' ' || setting FROM pg_file_settings WHERE name = 'archive_command' AND applied")
        .trim(),
    ).toBe(`${cluster.configDir}/conf.d/pgharden-secrets.conf PGPASSWORD=${ARCHIVE_SECRET} /bin/true`);
  });

  it('rolls back: every file under /etc/postgresql/15/NAME byte-identical with its mode and owner, the consumer too', () => {
    const r = sudoPgharden(['rollback', 'plans/deb'], work);
    expect(r.code).toBe(0);
    expect(treeIdentity(cluster.configDir)).toEqual(etcBefore);
    expect(readFileSync(consumer).equals(consumerBefore)).toBe(true);
    expect(cluster.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'agents_app'").trim()).toBe('0');
    expect(cluster.psql('SELECT count(*) FROM agents', 'workspace').trim()).toBe('12');
  });
});
